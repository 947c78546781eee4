import { AppError } from '../../../lib/app-error.js';
import { MAX_TOKEN_LENGTH } from '../../../realtime/socket-auth.js';
import type { SocketEvents } from '../../../realtime/socket-events.js';
import type { SocketServer } from '../../../realtime/socket-server.js';
import type { TokenExpiry } from '../../../realtime/token-expiry.js';
import type { AuthService } from '../domain/auth-service.js';

/**
 * `auth:refresh`: a fresh access token of the same session keeps the socket trusted past the
 * old token's expiry. It counts against the user's socket event limit like every other client event.
 */
export function registerAuthSocketHandlers(io: SocketServer, auth: AuthService, events: SocketEvents, expiry: TokenExpiry): void {
  events.handle(io, 'auth:refresh', async (identity, payload, socket) => {
    const token = (payload as { token?: unknown } | null)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new AppError('VALIDATION_FAILED', 'token must be a non-empty string');
    const verified = await auth.authenticateConnection(token);
    // A socket cannot change hands: the new token must be for the same session.
    if (verified.sessionId !== identity.sessionId || verified.userId !== identity.userId) throw new AppError('UNAUTHENTICATED', 'Token belongs to another session');
    expiry.renew(socket, verified.expiresAt);
    return { expiresAt: new Date(verified.expiresAt).toISOString() };
  });
}
