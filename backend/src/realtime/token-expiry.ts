import type { CobaltSocket } from './socket-server.js';

const closeTransport = (socket: CobaltSocket) => socket.conn.close();

/**
 * A socket is trusted only as long as its access token: at expiry its transport is closed, so
 * the client reconnects (and authenticates) with a fresh token, unless it renewed the token first
 * (`auth:refresh`, components/auth/entry-points/socket.ts).
 */
export function createTokenExpiry() {
  const timers = new Map<CobaltSocket, NodeJS.Timeout>();
  const schedule = (socket: CobaltSocket) => {
    clearTimeout(timers.get(socket));
    // setTimeout holds at most ~24.8 days; tokens live minutes.
    const delay = Math.min(Math.max(socket.data.expiresAt - Date.now(), 0), 2 ** 31 - 1);
    const timer = setTimeout(closeTransport, delay, socket);
    timer.unref();
    timers.set(socket, timer);
  };
  // Shared by every socket (`this` is the socket).
  const forget = function (this: CobaltSocket) {
    clearTimeout(timers.get(this));
    timers.delete(this);
  };
  return {
    /** Closes the socket's transport when the token it authenticated with expires. */
    watch(socket: CobaltSocket): void {
      schedule(socket);
      socket.on('disconnect', forget);
    },
    /** The socket now holds a token valid until `expiresAt` (ms since the epoch). */
    renew(socket: CobaltSocket, expiresAt: number): void {
      socket.data.expiresAt = expiresAt;
      if (timers.has(socket)) schedule(socket);
    },
  };
}

export type TokenExpiry = ReturnType<typeof createTokenExpiry>;
