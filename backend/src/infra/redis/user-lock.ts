import { randomUUID } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { AppError } from '../../lib/app-error.js';
import { logger } from '../../lib/logger.js';

/**
 * Acquires `lock` for `token` (SET NX PX) and answers `[1, head]`; when it is taken, `[0, pttl]`.
 * The head (what the last holder left, e.g. a user's last seq) travels with the lock so the
 * holder needs no store read to learn it.
 */
const ACQUIRE = `
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('get', KEYS[2]) or false}
end
return {0, redis.call('pttl', KEYS[1])}`;

/** Leaves the head and frees the lock, only if `token` still holds it (its lease did not run out). */
const RELEASE = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  if ARGV[2] ~= '' then redis.call('set', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
  redis.call('del', KEYS[1])
  return 1
end
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    cobaltLockAcquire(lock: string, head: string, token: string, leaseMs: number): Result<[1, string | null] | [0, number], Context>;
    cobaltLockRelease(lock: string, head: string, token: string, value: string, headTtlSeconds: number): Result<number, Context>;
  }
}

/** What a critical section sees: the head the previous holder left (null: not known) and its lease. */
export interface Holding {
  head: string | null;
  /** Whether the lease still has `marginMs` to run: a holder stops before starting work it may not finish. */
  hasTime(marginMs?: number): boolean;
}

/** A per-key mutex across all instances that carries a small value (the head) from holder to holder. */
export interface KeyedLock {
  hold<T>(key: string, critical: (holding: Holding) => Promise<{ value: T; head: string | null }>): Promise<T>;
  /** The head as last left and whether the lock is held now, or null when that cannot be known. */
  peek(key: string): Promise<{ head: string | null; held: boolean } | null>;
}

export interface LockOptions {
  /** How long a holder may keep the lock; after it (an instance died holding it) others may take it. */
  leaseMs: number;
  /** How long to wait for a taken lock before answering UNAVAILABLE. */
  waitMs: number;
  /** How long a head is kept after its last holder (an unknown head is recovered from the store). */
  headTtlSeconds: number;
}

export const DEFAULT_LOCK_OPTIONS: LockOptions = { leaseMs: 2000, waitMs: 3000, headTtlSeconds: 30 * 86_400 };

export const busy = () => new AppError('UNAVAILABLE', 'Too many concurrent writes, retry shortly', { retryAfterSeconds: 1 });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function holdingUntil(head: string | null, leaseEnd: number): Holding {
  return { head, hasTime: (marginMs = 0) => Date.now() + marginMs < leaseEnd };
}

/** The lock in Redis: two round trips per hold (acquire with the head, release with the new head). */
export function createRedisLock(redis: Redis, options: LockOptions, prefix = 'cobalt') {
  redis.defineCommand('cobaltLockAcquire', { numberOfKeys: 2, lua: ACQUIRE });
  redis.defineCommand('cobaltLockRelease', { numberOfKeys: 2, lua: RELEASE });
  const keys = (key: string) => [`${prefix}:lock:${key}`, `${prefix}:head:${key}`] as const;

  return {
    async hold<T>(key: string, critical: (holding: Holding) => Promise<{ value: T; head: string | null }>): Promise<T> {
      const [lockKey, headKey] = keys(key);
      const token = randomUUID();
      const deadline = Date.now() + options.waitMs;
      for (;;) {
        const startedAt = Date.now();
        const answer = await redis.cobaltLockAcquire(lockKey, headKey, token, options.leaseMs);
        if (answer[0] === 1) {
          let head: string | null = null;
          try {
            const outcome = await critical(holdingUntil(answer[1], startedAt + options.leaseMs));
            head = outcome.head;
            return outcome.value;
          } finally {
            await redis.cobaltLockRelease(lockKey, headKey, token, head ?? '', options.headTtlSeconds).catch(() => undefined);
          }
        }
        if (Date.now() > deadline) throw busy();
        // Writes take milliseconds: a short, jittered pause, never longer than the lease left.
        await pause(Math.min(2 + Math.random() * 4, Math.max(1, answer[1])));
      }
    },
    async peek(key: string) {
      const [lockKey, headKey] = keys(key);
      const [held, head] = await redis.mget(lockKey, headKey);
      return { head: head ?? null, held: held !== null && held !== undefined };
    },
  };
}

/** Minimal document store the fallback lock needs (a MongoDB collection with a unique index on `key`). */
export interface LockDocuments {
  insert(doc: { _id: string; key: string; until: Date }): Promise<boolean>;
  find(key: string): Promise<{ _id: string; until: Date } | null>;
  remove(id: string): Promise<void>;
}

/**
 * The same lock in the document store, for when Redis is unreachable: a unique insert takes it,
 * a delete by the holder's own id frees it, an expired one is removed by its id (never by its
 * key, so a takeover cannot remove the lock a newer holder just took). Two store round trips per hold.
 */
export function createStoreLock(documents: LockDocuments, options: LockOptions) {
  return {
    async hold<T>(key: string, head: string | null, critical: (holding: Holding) => Promise<{ value: T; head: string | null }>): Promise<{ value: T; head: string | null }> {
      const token = randomUUID();
      const deadline = Date.now() + options.waitMs;
      let leaseEnd: number;
      for (;;) {
        leaseEnd = Date.now() + options.leaseMs;
        if (await documents.insert({ _id: token, key, until: new Date(leaseEnd) })) break;
        const current = await documents.find(key);
        if (current && current.until.getTime() < Date.now()) await documents.remove(current._id);
        else if (Date.now() > deadline) throw busy();
        else await pause(3 + Math.random() * 7);
      }
      try {
        return await critical(holdingUntil(head, leaseEnd));
      } finally {
        await documents.remove(token).catch(() => undefined);
      }
    },
  };
}

/**
 * The lock Cobalt uses: Redis, and while Redis is unreachable the store. Switching is where two
 * holders could overlap, so: an instance that loses Redis waits out the lease of any Redis holder
 * before it takes the store lock; once Redis is back, it takes both for `dualMs`, while other
 * instances may not have noticed yet and still take only the store's. Heads are cached in
 * memory for the time without Redis.
 */
export function createUserLock(deps: { redis: Redis; documents: LockDocuments; options?: Partial<LockOptions>; dualMs?: number }): KeyedLock {
  const options = { ...DEFAULT_LOCK_OPTIONS, ...deps.options };
  const dualMs = deps.dualMs ?? 15_000;
  const viaRedis = createRedisLock(deps.redis, options);
  const viaStore = createStoreLock(deps.documents, options);
  const cachedHeads = new Map<string, string>();
  let redisDownSince: number | null = deps.redis.status === 'ready' ? null : Date.now();
  let redisBackAt = 0;
  deps.redis.on('close', () => {
    redisDownSince ??= Date.now();
  });
  deps.redis.on('ready', () => {
    if (redisDownSince !== null) redisBackAt = Date.now();
    redisDownSince = null;
  });
  let lastWarning = 0;
  const warnOnce = () => {
    if (Date.now() - lastWarning < 5000) return;
    lastWarning = Date.now();
    logger.warn('write lock: redis unavailable, using the store');
  };

  const remember = <T>(key: string, outcome: { value: T; head: string | null }) => {
    if (outcome.head !== null) cachedHeads.set(key, outcome.head);
    if (cachedHeads.size > 100_000) cachedHeads.clear();
    return outcome;
  };

  return {
    async hold(key, critical) {
      if (redisDownSince === null) {
        const inDualWindow = Date.now() - redisBackAt < dualMs;
        let entered = false;
        try {
          return await viaRedis.hold(key, async (holding) => {
            entered = true;
            if (!inDualWindow) return remember(key, await critical(holding));
            return remember(key, await viaStore.hold(key, holding.head, critical));
          });
        } catch (error) {
          // Only a failure to reach Redis before the critical section ran falls back to the store.
          if (entered || error instanceof AppError || deps.redis.status === 'ready') throw error;
          redisDownSince ??= Date.now();
        }
      }
      warnOnce();
      const waitOut = redisDownSince + options.leaseMs - Date.now();
      if (waitOut > 0) await pause(waitOut);
      return (await viaStore.hold(key, cachedHeads.get(key) ?? null, async (holding) => remember(key, await critical(holding)))).value;
    },
    async peek(key) {
      if (redisDownSince !== null) return null;
      return viaRedis.peek(key).catch(() => null);
    },
  };
}
