import type { Server as HttpServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ClientToServerEvents, ServerToClientEvents, TodoChange } from '@cobalt/contract';
import { PROTOCOL_VERSION } from '@cobalt/contract';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { onLinkRecovered } from '../infra/redis/connection.js';
import { Server, type Socket } from 'socket.io';
import { audit } from '../components/audit/audit.js';
import type { AuthService } from '../components/auth/domain/auth-service.js';
import type { Identity } from '../components/auth/domain/tokens.js';
import { AppError, toAppError, toErrorBody } from '../lib/app-error.js';
import { errorFields, logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { runWithContext } from '../lib/request-context.js';
import type { RateLimiter } from '../http/rate-limit.js';
import type { Announcement, Audience, Delivery } from './notifier.js';
import type { OriginCheck } from './upgrades.js';

export interface SocketData {
  identity: Identity;
  /** When the token the socket authenticated with expires (ms since the epoch). */
  expiresAt: number;
}
export type CobaltServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type CobaltSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export const userRoom = (userId: string) => `user:${userId}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

export function createSocketServer(deps: {
  httpServer: HttpServer;
  instanceId: string;
  pubClient: Redis;
  subClient: Redis;
  metrics: Metrics;
  allowedOrigins: string[];
  originCheck: OriginCheck;
  maxPayloadBytes: number;
}): CobaltServer {
  const { metrics } = deps;
  const io: CobaltServer = new Server({
    path: '/socket.io/',
    serveClient: false,
    maxHttpBufferSize: deps.maxPayloadBytes,
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
 * Authenticates every connection at the handshake (`auth: {token}`); a missing, invalid or
 * revoked token gets `connect_error` with the contract's error body and no connection.
 * Connected sockets join their user's room and their session's room. `auth:refresh` counts
 * against the user's socket event limit like every other client event.
 */
export function authenticateSockets(io: CobaltServer, auth: AuthService, metrics: Metrics, instanceId: string, limiter: RateLimiter): void {
  io.use(async (socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    try {
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw new AppError('UNAUTHENTICATED', 'Missing access token');
      const verified = await auth.authenticateConnection(token);
      socket.data.identity = { userId: verified.userId, sessionId: verified.sessionId };
      socket.data.expiresAt = verified.expiresAt;
      next();
    } catch (error) {
      const appError = toAppError(error);
      const refusal = new Error(appError.message) as Error & { data: unknown };
      refusal.data = toErrorBody(appError);
      next(refusal);
    }
  });

  io.on('connection', (socket) => {
    const { userId, sessionId } = socket.data.identity;
    metrics.socketsConnected.inc();
    void socket.join([userRoom(userId), sessionRoom(sessionId)]);
    socket.emit('hello', { instanceId: instanceId, userId, protocol: PROTOCOL_VERSION });
    const expiry = new TokenExpiry(socket);
    socket.on('disconnect', () => {
      expiry.cancel();
      metrics.socketsConnected.dec();
    });
    bindSocketEvent(socket, 'auth:refresh', metrics, async (identity, payload) => {
      const token = (payload as { token?: unknown } | null)?.token;
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw new AppError('VALIDATION_FAILED', 'token must be a non-empty string');
      const verified = await auth.authenticateConnection(token);
      // A socket cannot change hands: the new token must be for the same session.
      if (verified.sessionId !== identity.sessionId || verified.userId !== identity.userId) throw new AppError('UNAUTHENTICATED', 'Token belongs to another session');
      socket.data.expiresAt = verified.expiresAt;
      expiry.schedule();
      return { expiresAt: new Date(verified.expiresAt).toISOString() };
    }, limiter);
    socket.on('error', (error) => logger.debug('socket error', { userId, ...errorFields(error) }));
    // An event the server does not know, sent with an ack, is answered (metered like any other)
    // rather than left to the client's timeout.
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event !== 'string' || socket.listenerCount(event as never) > 0) return;
      const name = event.slice(0, 100);
      eventListener(socket, 'unknown', metrics, async () => {
        throw new AppError('NOT_FOUND', `Unknown event "${name}"`);
      }, limiter)(args.length > 1 ? args[0] : undefined, args.at(-1));
    });
  });

}

/**
 * A socket is trusted only as long as its access token: at expiry its transport is closed, so
 * the client reconnects (and authenticates) with a fresh token, unless it sent `auth:refresh` first.
 */
class TokenExpiry {
  private timer?: NodeJS.Timeout;
  constructor(private readonly socket: CobaltSocket) {
    this.schedule();
  }
  schedule(): void {
    this.cancel();
    // setTimeout holds at most ~24.8 days; tokens live minutes.
    const delay = Math.min(Math.max(this.socket.data.expiresAt - Date.now(), 0), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.socket.conn.close(), delay);
    this.timer.unref();
  }
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

type Handler<T> = (identity: Identity, payload: unknown) => Promise<T>;

/** Client events being handled on one server, and whether it still takes new ones (see drainSocketEvents). */
interface EventWork {
  running: number;
  draining: boolean;
  idle: Set<() => void>;
}
const eventWork = new WeakMap<object, EventWork>();
function workOf(server: object): EventWork {
  let work = eventWork.get(server);
  if (!work) {
    work = { running: 0, draining: false, idle: new Set() };
    eventWork.set(server, work);
  }
  return work;
}

/**
 * Shutdown step: new client events are answered `UNAVAILABLE` (the client retries elsewhere with
 * the same clientMutationId), and the events already running get up to `graceMs` to finish, so
 * their outcome is stored and acknowledged before the transports and stores close.
 */
export async function drainSocketEvents(io: CobaltServer, graceMs: number): Promise<void> {
  const work = workOf(io);
  work.draining = true;
  if (work.running === 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, graceMs);
    function done() {
      clearTimeout(timer);
      work.idle.delete(done);
      resolve();
    }
    work.idle.add(done);
  });
}

/**
 * Shutdown step after drainSocketEvents: closes every client's transport once what is queued for
 * it (the acks of the last writes, behind their live events) has been written, then the engine.
 * Not a Socket.IO disconnect, which tells clients to stay away: clients whose transport closes
 * reconnect by themselves, through the balancer, to another instance. A transport that cannot take
 * its queue within `graceMs` (a stalled client) is closed with the queue discarded.
 */
export async function closeTransports(io: CobaltServer, graceMs: number): Promise<void> {
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

/**
 * Binds a client event to a use case: runs it in a log context, replies through the ack with
 * `{data}` or a sanitised `{error}`, and counts it. A call without an ack function is ignored
 * (nothing runs): every client event of the contract expects an answer. The limiter is not
 * optional: every client event is metered against its user's budget before it does any work.
 */
export function bindSocketEvent<T>(socket: CobaltSocket, event: string, metrics: Metrics, handler: Handler<T>, limiter: RateLimiter): void {
  (socket as unknown as Socket).on(event, eventListener(socket, event, metrics, handler, limiter));
}

/** The listener bindSocketEvent binds: `event` names the metric's label. */
function eventListener<T>(socket: CobaltSocket, event: string, metrics: Metrics, handler: Handler<T>, limiter: RateLimiter) {
  return (payload: unknown, ack: unknown) => {
    if (typeof ack !== 'function') {
      metrics.socketEvents.inc({ event, outcome: 'no_ack' });
      return;
    }
    const { identity } = socket.data;
    const work = workOf(socket.nsp.server);
    work.running++;
    void runWithContext({ requestId: randomUUID(), userId: identity.userId, sessionId: identity.sessionId }, async () => {
      try {
        if (work.draining) throw new AppError('UNAVAILABLE', 'This instance is restarting; retry on the next connection', { retryAfterSeconds: 1 });
        await limiter.consume(`user:${identity.userId}`);
        const data = await handler(identity, payload);
        metrics.socketEvents.inc({ event, outcome: 'ok' });
        ack({ data });
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code === 'INTERNAL') logger.error('socket event failed', { event, ...errorFields(appError.cause ?? appError) });
        metrics.socketEvents.inc({ event, outcome: appError.code });
        ack({ error: { code: appError.code, message: appError.message, ...(appError.details !== undefined ? { details: appError.details } : {}) } });
      } finally {
        if (--work.running === 0) for (const done of [...work.idle]) done();
      }
    });
  };
}

/**
 * The Socket.IO delivery of the domain's notifier: an audience is the user's room (less one
 * session's room), which the Redis adapter reaches on every instance.
 */
export function createSocketDelivery(io: CobaltServer): Delivery {
  return {
    deliver(audience: Audience, announcement: Announcement) {
      const room = audience.exceptSessionId ? io.to(userRoom(audience.userId)).except(sessionRoom(audience.exceptSessionId)) : io.to(userRoom(audience.userId));
      if (announcement.kind === 'session:created') room.emit('session:created', { session: announcement.session });
      else if (announcement.kind === 'session:revoked') room.emit('session:revoked', { sessionId: announcement.sessionId });
      else {
        const { type, ...payload } = announcement.change;
        if (type === 'todo:deleted') room.emit(type, payload as Omit<Extract<TodoChange, { type: 'todo:deleted' }>, 'type'>);
        else room.emit(type, payload as Omit<Extract<TodoChange, { type: 'todo:created' }>, 'type'>);
      }
    },
    endSession(_userId: string, sessionId: string) {
      io.in(sessionRoom(sessionId)).disconnectSockets(true);
    },
  };
}
