import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AppError, toAppError, toErrorBody } from '../../src/lib/app-error.js';

describe('configuration', () => {
  it('when nothing is set, then development defaults apply and a random secret is generated', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.auth.jwtSecretIsEphemeral).toBe(true);
    expect(config.http.bodyLimitBytes).toBe(65536);
    expect(config.graphql.introspection).toBe(true);
  });

  it('when production has no JWT secret, then boot is refused', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET must be set/);
  });

  it('when the JWT secret is short, then boot is refused', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
  });

  it('when production is configured, then introspection is off unless asked for', () => {
    const secret = 'k'.repeat(40);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret }).graphql.introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, GRAPHQL_INTROSPECTION: 'true' }).graphql.introspection).toBe(true);
  });

  it('when the socket heartbeat is set out of bounds, then boot is refused naming the variable', () => {
    expect(() => loadConfig({ SOCKET_PING_INTERVAL_MS: '500' })).toThrow(/SOCKET_PING_INTERVAL_MS/);
    expect(() => loadConfig({ SOCKET_PING_TIMEOUT_MS: '600000' })).toThrow(/SOCKET_PING_TIMEOUT_MS/);
    expect(loadConfig({ SOCKET_PING_INTERVAL_MS: '50000' }).socket).toMatchObject({ pingIntervalMs: 50_000, pingTimeoutMs: 20_000 });
  });

  it('when a value is malformed, then the error names the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ MIGRATE_ON_START: 'maybe' })).toThrow(/MIGRATE_ON_START/);
  });
});

describe('error normalisation', () => {
  it('when an unknown error is thrown, then clients see INTERNAL without its message', () => {
    const appError = toAppError(new Error('secret table name leaked'));
    expect(appError.code).toBe('INTERNAL');
    expect(JSON.stringify(toErrorBody(appError))).not.toContain('secret');
  });

  it('when a store is unreachable, then the error is UNAVAILABLE with a retry hint', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const appError = toAppError(refused);
    expect(appError).toMatchObject({ code: 'UNAVAILABLE', httpStatus: 503, retryAfterSeconds: 1 });
  });

  it('when Prisma cannot reach Postgres, or a wrapped cause is a refused connection, then it is UNAVAILABLE', () => {
    expect(toAppError(Object.assign(new Error("Can't reach database server"), { code: 'P1001' })).code).toBe('UNAVAILABLE');
    const wrapped = new Error('query failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(toAppError(wrapped).code).toBe('UNAVAILABLE');
    expect(toAppError(Object.assign(new Error('Unique constraint failed'), { code: 'P2002' })).code).toBe('INTERNAL');
  });

  it('when a raw query fails because Postgres is unreachable, then it is UNAVAILABLE; when it fails for another reason, INTERNAL', () => {
    const rawFailure = (kind: string) =>
      Object.assign(new Error('Raw query failed'), { code: 'P2010', meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind } } } });
    expect(toAppError(rawFailure('DatabaseNotReachable')).code).toBe('UNAVAILABLE');
    expect(toAppError(rawFailure('ConnectionClosed')).code).toBe('UNAVAILABLE');
    expect(toAppError(rawFailure('UniqueConstraintViolation')).code).toBe('INTERNAL');
  });

  it('when an AppError is thrown, then it keeps its code, status and details', () => {
    const appError = toAppError(new AppError('CONFLICT', 'taken', { details: { field: 'email' } }));
    expect(appError.httpStatus).toBe(409);
    expect(toErrorBody(appError)).toEqual({ code: 'CONFLICT', message: 'taken', details: { field: 'email' } });
  });
});
