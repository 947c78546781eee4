import type { Metrics } from '../../../lib/metrics.js';
import type { SocketEvents } from '../../../realtime/socket-events.js';
import { userRoom, type CobaltSocket, type SocketServer } from '../../../realtime/socket-server.js';
import { createPresenceService, type PresenceRegistry } from '../domain/presence.js';

const presenceRoom = (userId: string) => `presence:${userId}`;

/** Presence read from the cluster's sockets: `fetchSockets` asks every instance (through the Redis adapter). */
function socketRegistry(io: SocketServer, metrics: Metrics): PresenceRegistry {
  return {
    async connectedSessions(userId) {
      const sockets = await io.in(userRoom(userId)).fetchSockets();
      return sockets.map((socket) => socket.data.identity.sessionId);
    },
    announce(userId, sessionId) {
      metrics.broadcasts.inc({ event: 'presence:changed' });
      io.to(presenceRoom(userId)).emit('presence:changed', { sessionId });
    },
  };
}

/**
 * `presence:watch` answers which of the user's sessions are connected now and subscribes the
 * socket to `presence:changed`, sent whenever a socket of the user connects or disconnects.
 */
export function registerPresenceHandlers(io: SocketServer, metrics: Metrics, events: SocketEvents): void {
  const presence = createPresenceService(socketRegistry(io, metrics));
  // One listener for every socket's disconnect (`this` is the socket).
  const left = function (this: CobaltSocket) {
    presence.changed(this.data.identity.userId, this.data.identity.sessionId);
  };
  io.on('connection', (socket) => {
    presence.changed(socket.data.identity.userId, socket.data.identity.sessionId);
    socket.on('disconnect', left);
  });
  events.handle(io, 'presence:watch', async (identity, _payload, socket) => {
    await socket.join(presenceRoom(identity.userId));
    return presence.online(identity.userId);
  });
}
