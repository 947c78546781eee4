import { AppError, toAppError, toErrorBody } from '../lib/app-error.js';
import type { AccessTokenVerifier } from '../lib/identity.js';
import type { SocketServer } from './socket-server.js';

/** The longest access token a handshake or `auth:refresh` may carry. */
export const MAX_TOKEN_LENGTH = 4096;

/**
 * Authenticates every connection at the handshake (`auth: {token}`); a missing, invalid or
 * revoked token gets `connect_error` with the contract's error body and no connection.
 */
export function authenticateSockets(io: SocketServer, verifier: Pick<AccessTokenVerifier, 'authenticateConnection'>): void {
  // Socket.IO ignores what a middleware returns: the promise is settled here, its errors passed to next().
  io.use((socket, next) => {
    void (async () => {
      const token: unknown = socket.handshake.auth?.token;
      try {
        if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new AppError('UNAUTHENTICATED', 'Missing access token');
        const verified = await verifier.authenticateConnection(token);
        socket.data.identity = { userId: verified.userId, sessionId: verified.sessionId };
        socket.data.expiresAt = verified.expiresAt;
        next();
      } catch (error) {
        const appError = toAppError(error);
        const refusal = new Error(appError.message) as Error & { data: unknown };
        refusal.data = toErrorBody(appError);
        next(refusal);
      }
    })();
  });
}
