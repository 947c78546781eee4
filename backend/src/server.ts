import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router, type Express } from 'express';
import { LRUCache } from 'lru-cache';
import type { Config } from './config.js';
import { MongoLogTransport, enforceLogRetention } from './infra/mongo/log-transport.js';
import { createAuthService } from './components/auth/domain/auth-service.js';
import { createRevocationList } from './components/auth/data-access/revocation-list.js';
import { createSessionRepository } from './components/auth/data-access/session-repository.js';
import { createUserRepository } from './components/auth/data-access/user-repository.js';
import { createAuthRouter } from './components/auth/entry-points/rest.js';
import { registerAuthSocketHandlers } from './components/auth/entry-points/socket.js';
import { createHealthChecks } from './components/health/domain/health-checks.js';
import { createHealthRouter } from './components/health/entry-points/rest.js';
import { registerPresenceHandlers } from './components/presence/entry-points/socket.js';
import { registerTodoModels } from './components/todos/data-access/todo-model.js';
import { migrateLegacyTodos } from './components/todos/data-access/legacy-todos.js';
import { enforceTodoRetention } from './components/todos/data-access/todo-retention.js';
import { createTodoStore } from './components/todos/data-access/todo-store.js';
import { createTodoLog } from './components/todos/domain/todo-log.js';
import { createTodoService, type CachedPage } from './components/todos/domain/todo-service.js';
import { createTodoRouter } from './components/todos/entry-points/rest.js';
import { registerTodoSocketHandlers } from './components/todos/entry-points/socket.js';
import { createGraphQLMiddleware } from './graphql/apollo.js';
import { createGraphiqlRouter } from './graphql/graphiql.js';
import { createOperationLimits } from './graphql/limits.js';
import { createSchema } from './app/graphql-schema.js';
import { createSubscriptionQuota } from './graphql/subscriptions/quota.js';
import { createSubscriptionServer } from './graphql/subscriptions/server.js';
import { createHttpApp } from './http/app.js';
import { createOpenApiRouter } from './http/openapi.js';
import { buildApiDocument } from './app/openapi-document.js';
import { createRateLimiter } from './lib/rate-limit.js';
import { connectMongo, watchAvailability } from './infra/mongo/connection.js';
import { createUserLock } from './infra/redis/user-lock.js';
import { createPrismaClient } from './infra/postgres/client.js';
import { applyMigrations } from './infra/postgres/migrate.js';
import { createRedis, isRedisReady, reportPublishFailures, whenReady } from './infra/redis/connection.js';
import { configureLogger, errorFields, logger } from './lib/logger.js';
import { createMetrics } from './lib/metrics.js';
import { createLiveChannel } from './realtime/live-channel.js';
import { createNotifier } from './realtime/notifier.js';
import { authenticateSockets } from './realtime/socket-auth.js';
import { acceptConnections } from './realtime/socket-connections.js';
import { createSocketDelivery } from './realtime/socket-delivery.js';
import { createSocketEvents } from './realtime/socket-events.js';
import { closeTransports, createSocketServer } from './realtime/socket-server.js';
import { createTokenExpiry } from './realtime/token-expiry.js';
import { createOriginCheck, routeUpgrades } from './realtime/upgrades.js';

export interface CobaltServer {
  httpServer: Server;
  /** The Express app behind it (its routes are listed against the OpenAPI document in a test). */
  app: Express;
  /** Starts listening; resolves with the bound port (useful with PORT=0). */
  listen(): Promise<number>;
  /** Graceful stop: not ready, drain HTTP and sockets, close the stores. */
  stop(): Promise<void>;
}

/**
 * Stops accepting connections, closes idle keep-alive ones at once and lets in-flight requests
 * finish; whatever is still open after `graceMs` is cut.
 */
async function drainHttp(httpServer: Server, graceMs: number): Promise<void> {
  if (!httpServer.listening) return;
  const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
  httpServer.closeIdleConnections();
  // Keep-alive connections that finish a request during the drain are closed after it.
  const closeIdle = setInterval(() => httpServer.closeIdleConnections(), 100);
  const timer = setTimeout(() => httpServer.closeAllConnections(), graceMs);
  await closed;
  clearInterval(closeIdle);
  clearTimeout(timer);
}

/** The composition root: builds every store, use case and entry point of one instance. */
export async function createCobaltServer(config: Config): Promise<CobaltServer> {
  configureLogger({ instanceId: config.instanceId, level: config.logs.level });
  if (config.auth.jwtSecretIsEphemeral) logger.warn('JWT_SECRET is not set: using a random secret, tokens will not work across instances or restarts');
  const metrics = createMetrics(config.instanceId);

  if (config.postgres.migrateOnStart) {
    const result = await applyMigrations(config.postgres.url);
    logger.info('database migrations checked', { applied: result.applied, alreadyApplied: result.alreadyApplied.length });
  }
  const db = createPrismaClient(config.postgres.url);
  const mongo = await connectMongo(config.mongo.url, (command, collection) => metrics.storeCommands.inc({ command, collection }));
  const onRedisError = () => metrics.adapterErrors.inc();
  // Commands and publishes issued by concurrent requests in the same tick share one socket write.
  const redis = createRedis(config.redis.url, `${config.instanceId}:commands`, undefined, { autoPipelining: true });
  const pubClient = createRedis(config.redis.url, `${config.instanceId}:pub`, onRedisError, { autoPipelining: true });
  const subClient = createRedis(config.redis.url, `${config.instanceId}:sub`, onRedisError);
  const revocationFeed = createRedis(config.redis.url, `${config.instanceId}:revocations`);
  // graphql-ws subscribers hear their users' announcements on channels of their own (live-channel.ts).
  const liveSubClient = createRedis(config.redis.url, `${config.instanceId}:live`, onRedisError);
  await Promise.all([whenReady(redis), whenReady(pubClient), whenReady(subClient), whenReady(revocationFeed), whenReady(liveSubClient)]);
  reportPublishFailures(pubClient, onRedisError);

  const logTransport = new MongoLogTransport(mongo);
  logger.add(logTransport);
  const stopLogRetention = await enforceLogRetention(mongo, config.logs.retentionDays);

  const todoStore = createTodoStore(registerTodoModels(mongo), mongo);
  await todoStore.ensureIndexes();
  await migrateLegacyTodos(mongo);
  const stopTodoRetention = await enforceTodoRetention(mongo, {
    logRetentionHours: config.idempotency.retentionHours,
    tombstoneRetentionDays: config.sync.tombstoneRetentionDays,
  });

  const http = createHttpApp(
    {
      instanceId: config.instanceId,
      trustProxy: config.http.trustProxy,
      corsOrigins: config.http.corsOrigins,
      bodyLimitBytes: config.http.bodyLimitBytes,
      storedRequests: config.logs.storedRequests,
    },
    metrics,
  );
  const httpServer = createServer(http.app);
  const originCheck = createOriginCheck(config.http.corsOrigins, metrics);
  const io = createSocketServer({
    httpServer,
    pubClient,
    subClient,
    metrics,
    allowedOrigins: config.http.corsOrigins,
    originCheck,
    maxPayloadBytes: config.socket.maxPayloadBytes,
    pingIntervalMs: config.socket.pingIntervalMs,
    pingTimeoutMs: config.socket.pingTimeoutMs,
  });
  // One notifier decides who hears what; each transport delivers it to its own connections.
  const notifier = createNotifier(metrics);
  notifier.attach(createSocketDelivery(io));
  const live = createLiveChannel({ instanceId: config.instanceId, pub: pubClient, sub: liveSubClient, metrics });
  notifier.attach(live);

  const sessionRepository = createSessionRepository(db);
  const auth = createAuthService({
    users: createUserRepository(db),
    sessions: sessionRepository,
    revocations: createRevocationList(redis, revocationFeed, {
      recent: async () =>
        (await sessionRepository.listRevokedSince(new Date(Date.now() - config.auth.accessTokenTtlSeconds * 1000))).map((s) => ({
          sessionId: s.id,
          until: (s.revokedAt?.getTime() ?? Date.now()) + config.auth.accessTokenTtlSeconds * 1000,
        })),
    }),
    notifier,
    metrics,
    settings: {
      secret: config.auth.jwtSecret,
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
      refreshTokenTtlDays: config.auth.refreshTokenTtlDays,
    },
  });
  const mongoAvailability = watchAvailability(mongo);
  const todoLog = createTodoLog({
    storeAvailable: mongoAvailability.isUp,
    store: todoStore,
    lock: createUserLock({ redis, documents: todoStore.lockDocuments }),
    announce: (userId, change) => notifier.todoChanged(userId, change),
  });
  // Sized by an estimate of each page's JSON (a todo is a few hundred bytes), not by serialising it.
  const pages =
    config.pageCache.maxBytes > 0
      ? new LRUCache<string, CachedPage>({ maxSize: config.pageCache.maxBytes, sizeCalculation: (entry) => 200 + 320 * entry.page.items.length })
      : undefined;
  const todos = createTodoService({ log: todoLog, store: todoStore, pages, maxSyncChanges: config.sync.maxChanges, storeAvailable: mongoAvailability.isUp });
  const health = createHealthChecks({ db, mongo, redis, timeoutMs: config.health.timeoutMs });
  metrics.setDependencyProbe(async () => {
    const { checks } = await health.readiness();
    return { postgres: checks.postgres === 'up', mongodb: checks.mongodb === 'up', redis: checks.redis === 'up' };
  });
  const limiter = (keyPrefix: string, points: number) => createRateLimiter({ redis, redisReady: isRedisReady, keyPrefix, points, durationSeconds: 60, metrics });
  const authLimits = {
    perIp: limiter('auth', config.auth.rateLimitPerMinute),
    refreshPerIp: limiter('auth-refresh', config.auth.refreshRateLimitPerMinute),
    perAccount: limiter('auth-account', config.auth.accountRateLimitPerMinute),
    perUser: limiter('api', config.rateLimits.apiPerMinute),
  };
  const socketEvents = createSocketEvents({ metrics, limiter: limiter('socket', config.rateLimits.socketPerMinute) });

  const schema = createSchema({ auth, todos });
  const limits = createOperationLimits({ metrics, introspection: config.graphql.introspection, isProduction: config.isProduction });
  const graphql = await createGraphQLMiddleware({
    schema,
    auth,
    perUserLimiter: authLimits.perUser,
    limits,
    metrics,
    introspection: config.graphql.introspection,
    isProduction: config.isProduction,
  });
  const subscriptions = createSubscriptionServer({
    schema,
    instanceId: config.instanceId,
    auth,
    perUserLimiter: authLimits.perUser,
    limits,
    live,
    quota: createSubscriptionQuota(redis, config.graphql.maxSubscriptionsPerUser),
    maxSubscriptionsPerUser: config.graphql.maxSubscriptionsPerUser,
    metrics,
    maxPayloadBytes: config.socket.maxPayloadBytes,
    isProduction: config.isProduction,
  });
  routeUpgrades(httpServer, originCheck, [
    // Socket.IO's own refusal body, as its polling transport answers a foreign Origin.
    { path: '/socket.io/', refusal: { code: 4, message: 'Origin not allowed' }, handle: (req, socket, head) => io.engine.handleUpgrade(req, socket, head) },
    { path: '/graphql', refusal: { error: { code: 'FORBIDDEN', message: 'Origin not allowed' } }, handle: subscriptions.handleUpgrade },
  ]);

  const metricsRouter = Router().get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  http.mount(
    createHealthRouter(health, config.instanceId),
    metricsRouter,
    createOpenApiRouter(buildApiDocument()),
    createAuthRouter(auth, authLimits, config.auth.refreshTokenTtlDays * 86_400_000),
    createTodoRouter(auth, todos, authLimits.perUser),
  );
  if (!config.isProduction) http.app.use(createGraphiqlRouter());
  http.app.use('/graphql', graphql.middleware);
  http.finish();
  authenticateSockets(io, auth);
  const tokenExpiry = createTokenExpiry();
  acceptConnections(io, { instanceId: config.instanceId, metrics, expiry: tokenExpiry, events: socketEvents });
  registerAuthSocketHandlers(io, auth, socketEvents, tokenExpiry);
  registerTodoSocketHandlers(io, todos, socketEvents);
  registerPresenceHandlers(io, metrics, socketEvents);

  return {
    httpServer,
    app: http.app,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.http.port, config.http.host, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    async stop() {
      const step = (name: string) => logger.debug(`shutdown: ${name}`);
      health.stopAccepting();
      // Socket writes under way finish (and are acknowledged) first; new ones are refused.
      await socketEvents.drain(config.shutdown.drainMs);
      step('socket events drained');
      // Their acks are written before the transports close; clients reconnect elsewhere.
      await closeTransports(io, config.shutdown.drainMs);
      await subscriptions.close();
      step('sockets closed');
      await drainHttp(httpServer, config.shutdown.drainMs);
      step('http drained');
      await graphql.stop().catch((error: unknown) => logger.warn('graphql stop failed', errorFields(error)));
      step('graphql stopped');
      stopLogRetention();
      stopTodoRetention();
      mongoAvailability.stop();
      await logTransport.flush();
      logger.remove(logTransport);
      logTransport.close();
      await Promise.allSettled([db.$disconnect(), mongo.close(), redis.quit(), pubClient.quit(), subClient.quit(), revocationFeed.quit(), liveSubClient.quit()]);
      step('stores closed');
    },
  };
}
