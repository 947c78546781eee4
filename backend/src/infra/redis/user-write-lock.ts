import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../../lib/app-error.js';
import { logger } from '../../lib/logger.js';
import { isRedisReady } from './connection.js';

/** Deletes the lock only if this holder still owns it. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export type WriteLock = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

/**
 * Serialises the writes of one user across all instances. MongoDB applies single-document
 * updates atomically and needs none of this; FerretDB v1 does not (twenty concurrent `$inc`
 * on one document left it at 4 here), so where it is the store the writes of a user take a
 * short Redis lock. When Redis is unreachable writes go ahead unlocked rather than fail.
 * Hand-written (SET NX PX + compare-and-delete) because a single-Redis mutex is all it needs.
 */
export function createUserWriteLock(redis: Redis, options: { enabled: boolean; ttlMs?: number; waitMs?: number }): WriteLock {
  if (!options.enabled) return (_key, fn) => fn();
  const ttlMs = options.ttlMs ?? 5000;
  const waitMs = options.waitMs ?? 3000;
  let lastWarning = 0;

  return async (key, fn) => {
    const lockKey = `cobalt:write-lock:${key}`;
    const token = randomUUID();
    const deadline = Date.now() + waitMs;
    let held = false;
    for (;;) {
      if (!isRedisReady(redis)) {
        if (Date.now() - lastWarning > 5000) {
          lastWarning = Date.now();
          logger.warn('write lock unavailable (redis down); writing without it');
        }
        break;
      }
      try {
        held = (await redis.set(lockKey, token, 'PX', ttlMs, 'NX')) === 'OK';
      } catch {
        if (Date.now() - lastWarning > 5000) {
          lastWarning = Date.now();
          logger.warn('write lock unavailable (redis down); writing without it');
        }
        break;
      }
      if (held) break;
      if (Date.now() > deadline) throw new AppError('UNAVAILABLE', 'Too many concurrent writes, retry shortly', { retryAfterSeconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 3 + Math.random() * 7));
    }
    try {
      return await fn();
    } finally {
      if (held) await redis.eval(RELEASE, 1, lockKey, token).catch(() => undefined);
    }
  };
}
