import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { CLIENT_ERROR_CODES, CobaltError, type ClientErrorCode } from '@cobalt/client';
import { ERROR_CODES } from '@cobalt/contract';

/**
 * Every failure the app can meet comes from the SDK as a `CobaltError` (code, message, details);
 * here it is turned into words for people.
 */
export { CobaltError as ApiError };

const isCode = (code: unknown): code is ClientErrorCode => [...ERROR_CODES, ...CLIENT_ERROR_CODES].includes(code as ClientErrorCode);

/** Anything thrown, as a `CobaltError`: the SDK's own, and the GraphQL client's (its code from `extensions.code`). */
export function toApiError(error: unknown): CobaltError {
  if (error instanceof CobaltError) return error;
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    const code = first?.extensions?.code;
    return new CobaltError(isCode(code) ? code : 'INTERNAL', first?.message ?? error.message, { details: first?.extensions?.details, cause: error });
  }
  if (ServerError.is(error))
    return new CobaltError(error.statusCode === 401 ? 'UNAUTHENTICATED' : error.statusCode >= 500 ? 'UNAVAILABLE' : 'INTERNAL', error.message, {
      status: error.statusCode,
      cause: error,
    });
  if (error instanceof Error) return new CobaltError('NETWORK', error.message, { cause: error });
  return new CobaltError('INTERNAL', 'Unexpected error');
}

const isOffline = () => typeof navigator !== 'undefined' && navigator.onLine === false;

/** A sentence for people. */
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
    case 'NOT_SIGNED_IN':
    case 'SESSION_ENDED':
      return 'Your session has ended. Please sign in again.';
    case 'VALIDATION_FAILED':
      return err.fieldProblems[0]?.message ?? err.message;
    case 'NOT_FOUND':
      return 'It no longer exists.';
    case 'PAYLOAD_TOO_LARGE':
      return 'That is too long.';
    case 'FORBIDDEN':
      return 'That is not allowed.';
    case 'STORAGE':
      return 'It could not be kept on this device (its storage is full or blocked).';
    default:
      return 'Something went wrong on our side. Please try again.';
  }
}
