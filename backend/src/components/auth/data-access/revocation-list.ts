import type { Redis } from 'ioredis';
import { isRedisReady } from '../../../infra/redis/connection.js';
import { logger, errorFields } from '../../../lib/logger.js';

/**
 * Revoked session ids, shared by all instances, kept as long as an access token can live.
 * Fails open when Redis is unreachable: the token's signature and expiry still hold, and
 * sockets are checked against Postgres. docs/SECURITY.md states this trade-off.
 */
export function createRevocationList(redis: Redis) {
  const key = (sessionId: string) => `cobalt:revoked-session:${sessionId}`;
  return {
    async add(sessionId: string, ttlSeconds: number): Promise<void> {
      if (!isRedisReady(redis)) {
        logger.warn('redis unavailable: session revocation not shared; the refresh token and sockets are still refused', { sessionId });
        return;
      }
      try {
        await redis.set(key(sessionId), '1', 'EX', ttlSeconds);
      } catch (error) {
        logger.warn('could not record session revocation in redis', { sessionId, ...errorFields(error) });
      }
    },
    async has(sessionId: string): Promise<boolean> {
      if (!isRedisReady(redis)) return false;
      try {
        return (await redis.exists(key(sessionId))) === 1;
      } catch {
        return false;
      }
    },
  };
}

export type RevocationList = ReturnType<typeof createRevocationList>;
