import type { Server as HttpServer } from 'node:http';
import type { ClientToServerEvents, ServerToClientEvents } from '@cobalt/contract';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import { onLinkRecovered } from '../infra/redis/connection.js';
import type { Identity } from '../lib/identity.js';
import { errorFields, logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { OriginCheck } from './upgrades.js';

export interface SocketData {
  identity: Identity;
  /** When the token the socket authenticated with expires (ms since the epoch). */
  expiresAt: number;
}
/** The Socket.IO server of one instance (the instance itself is server.ts's CobaltServer). */
export type SocketServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type CobaltSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export const userRoom = (userId: string) => `user:${userId}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/** The Socket.IO server on the instance's HTTP server, fanned out across instances by the Redis adapter. */
export function createSocketServer(deps: {
  httpServer: HttpServer;
  pubClient: Redis;
  subClient: Redis;
  metrics: Metrics;
  allowedOrigins: string[];
  originCheck: OriginCheck;
  maxPayloadBytes: number;
  /** Engine.IO's heartbeat (Socket.IO's defaults: 25 s and 20 s). */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
}): SocketServer {
  const { metrics } = deps;
  const io: SocketServer = new Server({
    path: '/socket.io/',
    serveClient: false,
    maxHttpBufferSize: deps.maxPayloadBytes,
    pingInterval: deps.pingIntervalMs ?? 25_000,
    pingTimeout: deps.pingTimeoutMs ?? 20_000,
    cors: { origin: deps.allowedOrigins, credentials: true },
    // CORS does not protect WebSockets: the handshake's Origin is checked for every transport
    // (polling here; a WebSocket upgrade before it reaches engine.io, see upgrades.ts). Clients
    // that are not browsers send no Origin and are let through to token authentication.
    allowRequest: (req, callback) => {
      if (deps.originCheck(req.headers.origin, req.headers.host)) return callback(null, true);
      callback('Origin not allowed', false);
    },
    adapter: createAdapter(deps.pubClient, deps.subClient, { key: 'cobalt#io' }),
  });
  // Only HTTP requests are attached here; WebSocket upgrades are routed by upgrades.ts, which
  // answers a foreign Origin 403 as polling does (engine.io itself answers every refused upgrade 400).
  const upgradeListeners = new Set(deps.httpServer.listeners('upgrade'));
  io.attach(deps.httpServer);
  for (const listener of deps.httpServer.listeners('upgrade')) {
    if (!upgradeListeners.has(listener)) deps.httpServer.off('upgrade', listener as (...args: unknown[]) => void);
  }

  // Nothing here reads the handshake's HTTP request after the connection is made (identity is
  // kept in socket.data), so engine.io need not keep it alive for the life of every socket.
  io.engine.on('connection', (rawSocket: { request: unknown }) => {
    rawSocket.request = null;
  });

  // Errors of the adapter (Redis gone) are counted and logged, never thrown: the instance keeps
  // serving its own sockets, and fan-out resumes when ioredis reconnects.
  io.of('/').adapter.on('error', (error: unknown) => {
    metrics.adapterErrors.inc();
    logger.warn('socket.io adapter error', errorFields(error));
  });

  // While an instance's link to Redis is down, what it publishes and what it should receive is
  // gone for good (pub/sub keeps nothing). When the link is back its clients, or every client for
  // a lost publisher link, are told to catch up with `sync`; the change log has it all.
  const onRecovery = (client: Redis, link: 'sub' | 'pub', announce: () => void) =>
    onLinkRecovered(client, () => {
      logger.info('realtime link to redis is back: asking clients to sync', { link });
      metrics.broadcasts.inc({ event: 'sync:required' });
      announce();
    });
  onRecovery(deps.subClient, 'sub', () => io.local.emit('sync:required', { reason: 'fanout_resumed' }));
  onRecovery(deps.pubClient, 'pub', () => io.emit('sync:required', { reason: 'fanout_resumed' }));

  return io;
}

/**
 * Shutdown step after the socket events are drained (socket-events.ts): closes every client's
 * transport once what is queued for it (the acks of the last writes, behind their live events)
 * has been written, then the engine. Not a Socket.IO disconnect, which tells clients to stay away:
 * clients whose transport closes reconnect by themselves, through the balancer, to another
 * instance. A transport that cannot take its queue within `graceMs` (a stalled client) is closed
 * with the queue discarded.
 */
export async function closeTransports(io: SocketServer, graceMs: number): Promise<void> {
  // One engine connection per client, whichever namespaces it joined (only the main one here).
  const clients = new Set([...io.sockets.sockets.values()].map((socket) => socket.conn));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(
      [...clients].map(
        (client) =>
          new Promise<void>((resolve) => {
            if (client.readyState === 'closed') return resolve();
            client.once('close', () => resolve());
            // Without `discard`, engine.io waits for the write buffer to drain before closing.
            client.close();
          }),
      ),
    ),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
  ]);
  clearTimeout(timer);
  io.engine.close();
}
