import type { Redis } from 'ioredis';
import { isRedisReady } from '../../../infra/redis/connection.js';
import { logger, errorFields } from '../../../lib/logger.js';

const CHANNEL = 'cobalt:revocations';
const SORTED = 'cobalt:revoked-sessions';
const key = (sessionId: string) => `cobalt:revoked-session:${sessionId}`;

/**
 * Revoked session ids, shared by all instances, kept as long as an access token can live.
 *
 * Every authenticated request asks it, so each instance keeps a mirror: loaded when its
 * subscription to the revocation channel is up (from Redis, and from the sessions' own store, which
 * holds the revocations made while Redis was away), and kept current by that channel. While the
 * mirror is complete a check costs no round trip; while it is not (subscription down or
 * reloading) a check asks Redis. Fails open when Redis is unreachable: the token's signature and
 * expiry still hold, and sockets are checked against Postgres; revocations this instance already
 * knew still hold. docs/SECURITY.md states this trade-off.
 */
export function createRevocationList(redis: Redis, subscriber?: Redis, options: { recent?: () => Promise<{ sessionId: string; until: number }[]> } = {}) {
  /** Session id -> when its revocation stops mattering (its last access token has expired). */
  const mirror = new Map<string, number>();
  let complete = false;
  const remember = (sessionId: string, until: number) => {
    if (until > Date.now()) mirror.set(sessionId, Math.max(until, mirror.get(sessionId) ?? 0));
  };
  const prune = setInterval(() => {
    const now = Date.now();
    for (const [id, until] of mirror) if (until <= now) mirror.delete(id);
  }, 60_000);
  prune.unref();

  if (subscriber) {
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== CHANNEL) return;
      const at = message.lastIndexOf(':');
      remember(message.slice(0, at), Number(message.slice(at + 1)));
    });
    const load = async () => {
      complete = false;
      try {
        await subscriber.subscribe(CHANNEL);
        // Subscribed first, then read: a revocation is in the set before it is published, so
        // none falls between the two.
        const entries = await redis.zrangebyscore(SORTED, Date.now(), '+inf', 'WITHSCORES');
        for (let i = 0; i < entries.length; i += 2) remember(entries[i]!, Number(entries[i + 1]));
        // Revocations made while Redis was away never reached it; the sessions' own store has them all.
        for (const { sessionId, until } of (await options.recent?.()) ?? []) remember(sessionId, until);
        complete = true;
      } catch (error) {
        logger.warn('revocation list: could not load; checking Redis on each request meanwhile', errorFields(error));
      }
    };
    subscriber.on('ready', () => void load());
    subscriber.on('close', () => {
      complete = false;
    });
    if (subscriber.status === 'ready') void load();
  }

  return {
    /**
     * Whether this instance's mirror holds every revocation that can still matter: then a session it
     * does not list is not revoked, and no other store needs asking.
     */
    isComplete: (): boolean => complete,
    async add(sessionId: string, ttlSeconds: number): Promise<void> {
      const until = Date.now() + ttlSeconds * 1000;
      remember(sessionId, until);
      if (!isRedisReady(redis)) {
        logger.warn('redis unavailable: session revocation not shared; the refresh token and sockets are still refused', { sessionId });
        return;
      }
      try {
        await redis
          .multi()
          .set(key(sessionId), '1', 'EX', ttlSeconds)
          .zadd(SORTED, until, sessionId)
          .zremrangebyscore(SORTED, '-inf', Date.now())
          .publish(CHANNEL, `${sessionId}:${until}`)
          .exec();
      } catch (error) {
        logger.warn('could not record session revocation in redis', { sessionId, ...errorFields(error) });
      }
    },
    async has(sessionId: string): Promise<boolean> {
      const until = mirror.get(sessionId);
      if (until !== undefined && until > Date.now()) return true;
      if (complete || !isRedisReady(redis)) return false;
      try {
        return (await redis.exists(key(sessionId))) === 1;
      } catch {
        return false;
      }
    },
  };
}

export type RevocationList = ReturnType<typeof createRevocationList>;
