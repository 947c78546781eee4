import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, toAppError, toErrorBody } from '../lib/app-error.js';
import { logUnexpected } from '../lib/logger.js';

/**
 * Errors Express's own layers raise for a bad request, mapped to the contract's codes: body-parser's
 * (they carry a `type`), and the http-errors they and the router give any other client fault (a
 * body that does not decompress, a path parameter with broken percent-encoding) with a 4xx status.
 */
function fromExpress(error: unknown): AppError | undefined {
  const { type, status, expose } = error as { type?: unknown; status?: unknown; expose?: unknown };
  if (type === 'entity.parse.failed') return new AppError('VALIDATION_FAILED', 'Request body is not valid JSON');
  if (type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new AppError('VALIDATION_FAILED', 'Unsupported body encoding');
  if (type === 'request.aborted') return new AppError('VALIDATION_FAILED', 'Request was aborted');
  if (error instanceof URIError && status === 400) return new AppError('VALIDATION_FAILED', 'Malformed percent-encoding in the path');
  if (typeof status === 'number' && status >= 400 && status < 500 && expose === true) {
    if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
    return new AppError('VALIDATION_FAILED', 'Request body could not be read');
  }
  return undefined;
}

/** The central error handler: every REST error leaves as `{error:{code,message,details?}}`. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const appError = fromExpress(error) ?? toAppError(error);
  logUnexpected(appError, { method: req.method, path: req.path });
  if (appError.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
  if (res.headersSent) return;
  res.status(appError.httpStatus).json({ error: toErrorBody(appError) });
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};
