import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from './app-error.js';
import { audit } from './audit.js';
import type { Metrics } from './metrics.js';

/**
 * Fixed-window counters shared by all instances through Redis. When Redis is unreachable
 * each instance falls back to its own in-memory counters (fail open, but still bounded per
 * instance); docs/SECURITY.md states this.
 */
export function createRateLimiter(options: {
  redis: Redis;
  /** Whether `redis` is connected now (infra/redis/connection.ts's isRedisReady). */
  redisReady: (redis: Redis) => boolean;
  keyPrefix: string;
  points: number;
  durationSeconds: number;
  metrics: Pick<Metrics, 'securityEvents'>;
}) {
  const local = new RateLimiterMemory({ points: options.points, duration: options.durationSeconds });
  const shared = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: `cobalt:rl:${options.keyPrefix}`,
    points: options.points,
    duration: options.durationSeconds,
    insuranceLimiter: local,
  });
  return {
    async consume(key: string): Promise<void> {
      try {
        // Not waiting on a Redis that is known to be down keeps requests fast during an outage.
        await (options.redisReady(options.redis) ? shared : local).consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        options.metrics.securityEvents.inc({ type: 'rate_limited' });
        audit('security.rate_limited', { limiter: options.keyPrefix, key });
        throw new AppError('RATE_LIMITED', 'Too many requests, retry later', { retryAfterSeconds });
      }
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
