import type { ErrorBody, ErrorCode } from '@cobalt/contract';

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * The one error type of the backend. Every entry point (REST, GraphQL, socket) turns it into
 * its own envelope through `toErrorBody`; anything else thrown is normalised to INTERNAL.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** Seconds a client should wait before retrying (RATE_LIMITED, UNAVAILABLE). */
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const unauthenticated = (message = 'Authentication required') => new AppError('UNAUTHENTICATED', message);

// Prisma's codes for "cannot reach / timed out / connection closed / pool exhausted".
const PRISMA_UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
// A raw query ($queryRaw) fails as P2010 whatever the cause; the driver adapter's own error says whether it was the link.
const DRIVER_UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);
const driverErrorKind = (error: unknown): unknown => (error as { meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } }).meta?.driverAdapterError?.cause?.kind;

/** Dependency failures (database or cache unreachable) surface as UNAVAILABLE, never as a stack trace. */
export function isInfrastructureError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const name = error.name ?? '';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && PRISMA_UNAVAILABLE_CODES.has(code)) return true;
  if (DRIVER_UNAVAILABLE_KINDS.has(driverErrorKind(error) as string)) return true;
  if (error.cause instanceof Error && error.cause !== error && isInfrastructureError(error.cause)) return true;
  return (
    /^Mongo(Server)?(Selection|Network|NotConnected|Topology|PoolCleared|NetworkTimeout)/.test(name) ||
    name === 'MongoServerSelectionError' ||
    name === 'MongoNotConnectedError' ||
    name === 'DriverAdapterError' ||
    name === 'PrismaClientInitializationError' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT' ||
    /Connection is closed|max retries per request|Stream isn.t writeable|connect ECONNREFUSED|ECONNRESET|ETIMEDOUT|server selection timed out/i.test(error.message)
  );
}

/** Normalise anything thrown into an AppError. Unknown errors keep their cause for the log only. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isInfrastructureError(error)) {
    return new AppError('UNAVAILABLE', 'A backing service is unavailable, retry shortly', { cause: error, retryAfterSeconds: 1 });
  }
  return new AppError('INTERNAL', 'Internal error', { cause: error });
}

/** The sanitised body sent to clients: known codes only, never a stack. */
export function toErrorBody(error: AppError): ErrorBody {
  const body: ErrorBody = { code: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  return body;
}
