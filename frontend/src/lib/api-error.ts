import { CombinedGraphQLErrors, ServerError, ServerParseError } from '@apollo/client/errors';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@cobalt/contract';

/**
 * Every failure the app can meet, from REST, GraphQL, a socket ack or the network itself, is
 * turned into one `ApiError` here, and turned into words for people here too.
 */
export type ClientErrorCode = ErrorCode | 'NETWORK' | 'BAD_RESPONSE';

export interface FieldProblem {
  path: string;
  message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly options: { status?: number; details?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }

  get status(): number | undefined {
    return this.options.status;
  }

  /** The `[{ path, message }]` list the server sends with input-rule failures, else empty. */
  get fieldProblems(): FieldProblem[] {
    const { details } = this.options;
    if (!Array.isArray(details)) return [];
    return details.filter((d): d is FieldProblem => typeof d === 'object' && d !== null && typeof d.path === 'string' && typeof d.message === 'string');
  }
}

const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);

const retryAfterOf = (headers: Headers | undefined): number | undefined => {
  const raw = headers?.get('retry-after');
  const seconds = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
};

/** The error of a socket ack or of a REST envelope. */
export function fromErrorBody(body: ErrorBody, status?: number, retryAfterSeconds?: number): ApiError {
  const code = isErrorCode(body.code) ? body.code : 'INTERNAL';
  return new ApiError(code, body.message, { status, details: body.details, retryAfterSeconds });
}

/** Reads a REST (`{error}`) or GraphQL (`{errors}`) error body; Caddy's plain-text 502/503 too. */
function fromBodyText(text: string, status: number, headers?: Headers): ApiError {
  const retryAfterSeconds = retryAfterOf(headers);
  try {
    const parsed = JSON.parse(text) as { error?: ErrorBody; errors?: { message?: string; extensions?: { code?: unknown; details?: unknown } }[] };
    if (parsed.error && typeof parsed.error.message === 'string') return fromErrorBody(parsed.error, status, retryAfterSeconds);
    const first = parsed.errors?.[0];
    if (first) {
      const code = isErrorCode(first.extensions?.code) ? first.extensions.code : 'INTERNAL';
      return new ApiError(code, first.message ?? 'Request failed', { status, details: first.extensions?.details, retryAfterSeconds });
    }
  } catch {
    // Not JSON: a proxy answered (no backend available), handled below.
  }
  if (status === 502 || status === 503 || status === 504) return new ApiError('UNAVAILABLE', 'Service unavailable', { status, retryAfterSeconds });
  return new ApiError(status >= 500 ? 'INTERNAL' : 'BAD_RESPONSE', `Unexpected answer (HTTP ${status})`, { status });
}

export async function fromResponse(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  return fromBodyText(text, response.status, response.headers);
}

/** Normalises anything thrown by fetch, Apollo or socket.io into an `ApiError`. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    const code = first && isErrorCode(first.extensions?.code) ? first.extensions.code : 'INTERNAL';
    return new ApiError(code, first?.message ?? 'Request failed', { details: first?.extensions?.details });
  }
  if (ServerError.is(error)) return fromBodyText(error.bodyText, error.statusCode, error.response.headers);
  if (ServerParseError.is(error)) return new ApiError('BAD_RESPONSE', 'The server sent an answer that could not be read', { status: error.statusCode });
  if (error instanceof DOMException && error.name === 'AbortError') return new ApiError('NETWORK', 'The request was cancelled');
  // fetch rejects with a TypeError when the network is down; socket.io timeouts are plain Errors.
  if (error instanceof Error) return new ApiError('NETWORK', error.message);
  return new ApiError('INTERNAL', 'Unexpected error');
}

const isOffline = () => typeof navigator !== 'undefined' && navigator.onLine === false;

/** A sentence for people. `context` names what failed ("Couldn't add “Milk”"). */
export function describeError(error: unknown): string {
  const err = toApiError(error);
  switch (err.code) {
    case 'NETWORK':
      return isOffline() ? 'You are offline.' : 'The server could not be reached.';
    case 'UNAVAILABLE':
      return 'The service is briefly unavailable. Please try again in a moment.';
    case 'RATE_LIMITED':
      return err.options.retryAfterSeconds !== undefined
        ? `Too many attempts. Please wait ${err.options.retryAfterSeconds} s and try again.`
        : 'Too many attempts. Please wait a minute and try again.';
    case 'INVALID_CREDENTIALS':
      return 'That email and password do not match an account.';
    case 'CONFLICT':
      return 'An account with this email already exists.';
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Please sign in again.';
    case 'VALIDATION_FAILED':
      return err.fieldProblems[0]?.message ?? err.message;
    case 'NOT_FOUND':
      return 'It no longer exists.';
    case 'PAYLOAD_TOO_LARGE':
      return 'That is too long.';
    case 'FORBIDDEN':
      return 'That is not allowed.';
    default:
      return 'Something went wrong on our side. Please try again.';
  }
}
