import winston from 'winston';
import type { AppError } from './app-error.js';
import { currentContext } from './request-context.js';

let instanceId = 'unknown';

/** Adds instance id and the request context (request id, user id) to every line. */
const addContext = winston.format((info) => {
  info.instance = instanceId;
  const context = currentContext();
  if (context) {
    info.requestId ??= context.requestId;
    if (context.userId) info.userId ??= context.userId;
  }
  return info;
});

// The level comes from the typed config (LOG_LEVEL): configureLogger, called by whoever loaded it.
const consoleTransport = new winston.transports.Console({ level: 'info' });

// The logger itself passes `http` and up so request and audit records reach the MongoDB
// transport whatever the console level is; each transport filters by its own level.
export const logger = winston.createLogger({
  level: 'http',
  format: winston.format.combine(addContext(), winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
  transports: [consoleTransport],
});

export function configureLogger(options: { instanceId: string; level: string }): void {
  instanceId = options.instanceId;
  consoleTransport.level = options.level;
  logger.level = options.level === 'debug' ? 'debug' : 'http';
}

/**
 * Whether an `http` line that is not a record (see log-transport.ts) would be written anywhere:
 * only when the console shows `http` lines. Callers skip building such lines otherwise, since
 * every line passes the whole format chain before the transports filter it.
 */
export const httpLinesShown = (): boolean => (winston.config.npm.levels[consoleTransport.level ?? 'info'] ?? 0) >= winston.config.npm.levels.http;

/** Serialise an error for a log line (the stack goes to the log, never to a client). */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? { cause: { name: error.cause.name, message: error.cause.message, stack: error.cause.stack } } : {};
    return { err: { name: error.name, message: error.message, stack: error.stack }, ...cause };
  }
  return { err: String(error) };
}

/**
 * The one way every transport (HTTP, GraphQL, sockets) logs an error it answers: the unexpected
 * with its stack, a store that is down as a warning, a client's fault not at all.
 */
export function logUnexpected(appError: AppError, context: Record<string, unknown>): void {
  if (appError.code === 'INTERNAL') logger.error('unexpected error', { ...context, ...errorFields(appError.cause ?? appError) });
  else if (appError.code === 'UNAVAILABLE') logger.warn('dependency unavailable', { ...context, ...errorFields(appError.cause ?? appError) });
}
