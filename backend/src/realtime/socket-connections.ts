import { PROTOCOL_VERSION } from '@cobalt/contract';
import { errorFields, logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { SocketEvents } from './socket-events.js';
import { sessionRoom, userRoom, type CobaltSocket, type SocketServer } from './socket-server.js';
import type { TokenExpiry } from './token-expiry.js';

/**
 * What every authenticated connection gets before any entry point binds its events: its user's
 * and its session's rooms, the `hello`, a transport closed when its token expires, and an answer
 * to events no entry point knows.
 */
export function acceptConnections(io: SocketServer, deps: { instanceId: string; metrics: Metrics; expiry: TokenExpiry; events: SocketEvents }): void {
  const { metrics } = deps;
  // Listeners shared by every socket (`this` is the socket), so an idle one holds no function of its own.
  const disconnected = () => metrics.socketsConnected.dec();
  const failed = function (this: CobaltSocket, error: Error) {
    logger.debug('socket error', { userId: this.data.identity.userId, ...errorFields(error) });
  };
  io.on('connection', (socket) => {
    const { userId, sessionId } = socket.data.identity;
    metrics.socketsConnected.inc();
    void socket.join([userRoom(userId), sessionRoom(sessionId)]);
    socket.emit('hello', { instanceId: deps.instanceId, userId, protocol: PROTOCOL_VERSION });
    deps.expiry.watch(socket);
    socket.on('disconnect', disconnected);
    socket.on('error', failed);
    deps.events.answerUnknown(socket);
  });
}
