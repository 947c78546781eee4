import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@cobalt/contract';

/**
 * Every failure the SDK reports has one of these codes: the server's closed set (docs/API.md
 * section 2) and the few that only a client can meet. Program against `code`; `message` is for
 * people and may change.
 *
 * | code            | meaning                                                                     |
 * |-----------------|-----------------------------------------------------------------------------|
 * | `NETWORK`       | the server could not be reached (offline, refused, reset, timed out)        |
 * | `BAD_RESPONSE`  | the server's answer could not be read                                       |
 * | `NOT_SIGNED_IN` | the call needs a signed-in session and there is none                        |
 * | `SESSION_ENDED` | the session ended (revoked, refused refresh) while the call was under way   |
 * | `STORAGE`       | the injected storage failed: the change was not kept, so it was not made    |
 * | `UNSUPPORTED`   | the platform lacks something the SDK needs and no replacement was injected  |
 * | `STOPPED`       | the client was stopped                                                      |
 */
export const CLIENT_ERROR_CODES = ['NETWORK', 'BAD_RESPONSE', 'NOT_SIGNED_IN', 'SESSION_ENDED', 'STORAGE', 'UNSUPPORTED', 'STOPPED'] as const;
export type ClientErrorCode = ErrorCode | (typeof CLIENT_ERROR_CODES)[number];

export interface CobaltErrorOptions {
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** The server's `details` (for `VALIDATION_FAILED`, a `[{ path, message }]` list). */
  details?: unknown;
  /** How long the server asked to wait (`Retry-After`, `retryAfterSeconds`). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class CobaltError extends Error {
  override readonly name = 'CobaltError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly options: CobaltErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  get status(): number | undefined {
    return this.options.status;
  }

  get details(): unknown {
    return this.options.details;
  }

  /** The `[{ path, message }]` list the server sends with input-rule failures, else empty. */
  get fieldProblems(): { path: string; message: string }[] {
    const { details } = this.options;
    if (!Array.isArray(details)) return [];
    return (details as unknown[]).filter(
      (d): d is { path: string; message: string } =>
        typeof d === 'object' && d !== null && 'path' in d && typeof d.path === 'string' && 'message' in d && typeof d.message === 'string',
    );
  }
}

const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);

/** The error of a socket ack or of a REST envelope. An unknown code is read as `INTERNAL`. */
export function fromErrorBody(body: ErrorBody, status?: number, retryAfterSeconds?: number): CobaltError {
  return new CobaltError(isErrorCode(body.code) ? body.code : 'INTERNAL', typeof body.message === 'string' ? body.message : 'Request failed', {
    status,
    details: body.details,
    retryAfterSeconds,
  });
}

/** Anything thrown (fetch, socket.io, storage) as a `CobaltError`. */
export function toCobaltError(error: unknown, fallback: ClientErrorCode = 'NETWORK'): CobaltError {
  if (error instanceof CobaltError) return error;
  if (error instanceof Error) return new CobaltError(fallback, error.message, { cause: error });
  return new CobaltError('INTERNAL', 'Unexpected error', { cause: error });
}

/**
 * Failures worth asking again with the same `clientMutationId` / `Idempotency-Key`: no answer, the
 * service briefly unable, or the server still running an earlier attempt under that id.
 */
export function isRetryable(error: CobaltError): boolean {
  if (error.code === 'CONFLICT') return (error.details as { reason?: unknown } | undefined)?.reason === 'in_progress';
  return error.code === 'NETWORK' || error.code === 'UNAVAILABLE' || error.code === 'RATE_LIMITED' || error.code === 'INTERNAL';
}

/** Failures that mean "this refresh token (or cookie) is no good": sign in again. */
export const isRefusal = (error: CobaltError): boolean => error.code === 'UNAUTHENTICATED' || error.code === 'VALIDATION_FAILED';
