import type { Redis } from 'ioredis';
import { isRedisReady } from '../../infra/redis/connection.js';

/**
 * Takes a lease on one of the user's subscription places, if one is free: expired leases are
 * dropped first, so the places of an instance that died come back within a lease.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

const LEASE_MS = 60_000;
const RENEW_EVERY_MS = 20_000;

export interface SubscriptionQuota {
  /** Holds one of the user's places (`id` unique cluster-wide); false when all are taken. */
  acquire(userId: string, id: string): Promise<boolean>;
  release(userId: string, id: string): void;
  stop(): void;
}

/**
 * How many subscriptions a user holds at once, counted across the cluster: a sorted set per user
 * in Redis whose members are leases this instance renews while their subscriptions run. Without
 * Redis, each instance counts its own (fail open, bounded per instance), as the rate limits do.
 */
export function createSubscriptionQuota(redis: Redis, maxPerUser: number): SubscriptionQuota {
  const held = new Map<string, Set<string>>();
  const keyOf = (userId: string) => `cobalt:subscriptions:${userId}`;

  const renew = setInterval(() => {
    if (!isRedisReady(redis)) return;
    const until = Date.now() + LEASE_MS;
    for (const [userId, ids] of held) {
      redis.zadd(keyOf(userId), 'XX', ...[...ids].flatMap((id) => [until, id])).catch(() => undefined);
      redis.pexpire(keyOf(userId), LEASE_MS).catch(() => undefined);
    }
  }, RENEW_EVERY_MS);
  renew.unref();

  return {
    async acquire(userId, id) {
      const heldHere = () => held.get(userId)?.size ?? 0;
      let granted: boolean;
      if (isRedisReady(redis)) {
        const now = Date.now();
        try {
          granted = (await redis.eval(ACQUIRE, 1, keyOf(userId), now, maxPerUser, now + LEASE_MS, id, LEASE_MS)) === 1;
        } catch {
          granted = heldHere() < maxPerUser;
        }
      } else granted = heldHere() < maxPerUser;
      if (!granted) return false;
      // Read after the wait: acquisitions of one user run side by side.
      const mine = held.get(userId) ?? new Set<string>();
      mine.add(id);
      held.set(userId, mine);
      return true;
    },
    release(userId, id) {
      const mine = held.get(userId);
      if (!mine?.delete(id)) return;
      if (mine.size === 0) held.delete(userId);
      if (isRedisReady(redis)) redis.zrem(keyOf(userId), id).catch(() => undefined);
    },
    stop() {
      clearInterval(renew);
    },
  };
}
