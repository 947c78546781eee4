import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { audit } from '../components/audit/audit.js';
import { isRedisReady } from '../infra/redis/connection.js';
import { AppError } from '../lib/app-error.js';
import type { Metrics } from '../lib/metrics.js';

/**
 * Fixed-window counters shared by all instances through Redis. When Redis is unreachable
 * each instance falls back to its own in-memory counters (fail open, but still bounded per
 * instance); docs/SECURITY.md states this.
 */
export function createRateLimiter(options: { redis: Redis; keyPrefix: string; points: number; durationSeconds: number; metrics: Pick<Metrics, 'securityEvents'> }) {
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
        await (isRedisReady(options.redis) ? shared : local).consume(key);
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
