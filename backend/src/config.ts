import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';

/**
 * The one typed configuration tree, parsed from the environment once at boot.
 * Every key: env var, default, meaning. docs/CONFIGURATION.md mirrors this table.
 */
const commaList = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Name of this instance in logs, metrics and the X-Instance-Id header. */
  INSTANCE_ID: z.string().min(1).default(os.hostname()),
  HOST: z.string().default('0.0.0.0'),
  /** 0 picks a free port (tests). */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().url().default('postgresql://cobalt@127.0.0.1:5432/cobalt'),
  MONGO_URL: z.string().default('mongodb://127.0.0.1:27017/cobalt'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** HMAC key for access tokens; required (>= 32 chars) in production, shared by all instances. */
  JWT_SECRET: z.string().min(32).optional(),
  JWT_ISSUER: z.string().default('cobalt'),
  JWT_AUDIENCE: z.string().default('cobalt-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(2).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).default(30),
  /** Browser origins allowed by CORS and by the WebSocket handshake Origin check. */
  CORS_ORIGINS: commaList.default(['http://localhost:8080', 'http://127.0.0.1:8080', 'http://localhost:5173']),
  /**
   * Express `trust proxy`: which hops may set X-Forwarded-For (exactly the Caddy hop). A list
   * of addresses/subnets or names (`loopback`, `uniquelocal`), a hop count, or true/false.
   */
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((v): string | number | boolean => (/^\d+$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v)),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug']).default('info'),
  /** How long request and audit records stay in the MongoDB `logs` collection. */
  LOG_RETENTION_DAYS: z.coerce.number().int().min(1).default(14),
  /**
   * Which request records the `logs` collection keeps: `errors` (answers of 400 and above, and
   * requests slower than a second), `all`, or `none`. Audit records are always kept; every request
   * is counted in the metrics either way.
   */
  LOG_STORED_REQUESTS: z.enum(['errors', 'all', 'none']).default('errors'),
  /** Apply pending SQL migrations at boot (serialised across instances by an advisory lock). */
  MIGRATE_ON_START: z.stringbool().default(true),
  /** Largest JSON body accepted by REST and GraphQL. */
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  /** Largest Socket.IO message. */
  SOCKET_MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  /**
   * How often the server pings each Socket.IO connection, and how long it then waits for the pong
   * before it counts the connection dead. A client that hears no ping for their sum reconnects.
   * Keep the interval under the idle timeout of every proxy and load balancer on the way (60 s
   * on many); a longer one costs less CPU per idle socket and finds dead connections later.
   */
  SOCKET_PING_INTERVAL_MS: z.coerce.number().int().min(1000).max(300_000).default(25_000),
  SOCKET_PING_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(20_000),
  /** Register and sign-in requests per client IP per minute, counted across instances. */
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Token refreshes per client IP per minute (every open tab and device refreshes). */
  AUTH_REFRESH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  /** Sign-in attempts per account (email) per minute, whatever the client IP. */
  AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  /** REST and GraphQL requests per signed-in user per minute, across instances. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  /** Socket.IO client events per signed-in user per minute, across instances. */
  SOCKET_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  /** Time limit for each readiness probe of a dependency. */
  HEALTH_TIMEOUT_MS: z.coerce.number().int().min(50).default(1000),
  /** Graceful shutdown budget before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** How long in-flight HTTP requests may run on after SIGTERM before their connections are cut. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).default(5000),
  /** How long a write's idempotency key (REST Idempotency-Key, clientMutationId) is remembered: its change-log entry is kept as long. */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(1).default(24),
  /** Most changes (seqs) one `sync` replays before answering with a reset instead. */
  SYNC_MAX_CHANGES: z.coerce.number().int().min(1).default(1000),
  /**
   * Days a deleted todo's tombstone is kept. A sync from before a tombstone that is gone answers
   * with a reset, so this bounds storage, not correctness.
   */
  TODO_TOMBSTONE_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  GRAPHQL_INTROSPECTION: z.stringbool().optional(),
  /** GraphQL subscriptions one user may hold at once, across the cluster (each WebSocket may carry several). */
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: z.coerce.number().int().min(1).default(50),
  /**
   * Memory each instance may use to keep list pages between requests (0 turns it off). A page is
   * served again only while its user has made no write since (the user's head has not moved).
   */
  TODO_PAGE_CACHE_MB: z.coerce.number().min(0).default(32),
});

export type Env = z.input<typeof envSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  if (isProduction && !e.JWT_SECRET) {
    throw new Error('Invalid configuration: JWT_SECRET must be set (32+ characters) when NODE_ENV=production');
  }
  return {
    env: e.NODE_ENV,
    isProduction,
    instanceId: e.INSTANCE_ID,
    http: { host: e.HOST, port: e.PORT, bodyLimitBytes: e.BODY_LIMIT_BYTES, trustProxy: e.TRUST_PROXY, corsOrigins: e.CORS_ORIGINS },
    postgres: { url: e.DATABASE_URL, migrateOnStart: e.MIGRATE_ON_START },
    mongo: { url: e.MONGO_URL },
    redis: { url: e.REDIS_URL },
    auth: {
      // Outside production a missing secret gets a random one: fine for one instance, and
      // tokens simply stop validating after a restart. The cluster scripts always set one.
      jwtSecret: e.JWT_SECRET ?? randomBytes(48).toString('base64url'),
      jwtSecretIsEphemeral: !e.JWT_SECRET,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
      rateLimitPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
      accountRateLimitPerMinute: e.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE,
      refreshRateLimitPerMinute: e.AUTH_REFRESH_RATE_LIMIT_PER_MINUTE,
    },
    rateLimits: { apiPerMinute: e.API_RATE_LIMIT_PER_MINUTE, socketPerMinute: e.SOCKET_RATE_LIMIT_PER_MINUTE },
    socket: { maxPayloadBytes: e.SOCKET_MAX_PAYLOAD_BYTES, pingIntervalMs: e.SOCKET_PING_INTERVAL_MS, pingTimeoutMs: e.SOCKET_PING_TIMEOUT_MS },
    graphql: { introspection: e.GRAPHQL_INTROSPECTION ?? !isProduction, maxSubscriptionsPerUser: e.GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER },
    logs: { level: e.LOG_LEVEL, retentionDays: e.LOG_RETENTION_DAYS, storedRequests: e.LOG_STORED_REQUESTS },
    health: { timeoutMs: e.HEALTH_TIMEOUT_MS },
    shutdown: { timeoutMs: e.SHUTDOWN_TIMEOUT_MS, drainMs: e.SHUTDOWN_DRAIN_MS },
    pageCache: { maxBytes: Math.round(e.TODO_PAGE_CACHE_MB * 1024 * 1024) },
    sync: { maxChanges: e.SYNC_MAX_CHANGES, tombstoneRetentionDays: e.TODO_TOMBSTONE_RETENTION_DAYS },
    idempotency: { retentionHours: e.IDEMPOTENCY_RETENTION_HOURS },
  };
}

export type Config = ReturnType<typeof loadConfig>;
