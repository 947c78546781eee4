import { Redis } from 'ioredis';
import { logger, errorFields } from '../../lib/logger.js';

/**
 * ioredis reconnects forever with capped backoff; commands issued while disconnected fail
 * after one retry instead of queueing without bound, so callers can fail fast or fail open.
 */
export function createRedis(url: string, name: string, onError?: (error: Error) => void, options: { autoPipelining?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableAutoPipelining: options.autoPipelining ?? false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastLogged = 0;
  redis.on('error', (error: Error) => {
    onError?.(error);
    // One line per 5 s at most: a Redis outage must not flood the log.
    if (Date.now() - lastLogged > 5000) {
      lastLogged = Date.now();
      logger.warn('redis connection error', { connection: name, ...errorFields(error) });
    }
  });
  return redis;
}

/**
 * Resolves once the connection is ready. The Socket.IO adapter must subscribe on a ready
 * connection: a subscription sent during ioredis' ready check fails ("Connection in subscriber
 * mode") and is never retried, which silently cuts the instance out of the cluster's fan-out.
 */
export function whenReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis connection ${redis.options.connectionName ?? ''} not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** Callers that can do without Redis (fail open) skip it at once instead of waiting on a reconnect. */
export const isRedisReady = (redis: Redis): boolean => redis.status === 'ready';

/**
 * The Socket.IO Redis adapter fires `publish` without handling its promise, so while Redis is
 * down every broadcast would surface as an unhandled rejection. Each publish gets a handler that
 * reports the failure instead; the adapter still delivers to this instance's own sockets.
 */
export function reportPublishFailures(pubClient: Redis, onError: (error: Error) => void): void {
  const publish = pubClient.publish.bind(pubClient) as (...args: unknown[]) => Promise<number>;
  (pubClient as unknown as { publish: (...args: unknown[]) => Promise<number> }).publish = (...args: unknown[]) => {
    const result = publish(...args);
    result.catch(onError);
    return result;
  };
}

/**
 * Calls `back` each time the connection is ready again after it was lost. Redis pub/sub keeps
 * nothing: what a link should have carried meanwhile is gone, and the realtime layer asks its
 * clients to catch up from the store.
 */
export function onLinkRecovered(redis: Redis, back: () => void): void {
  let lost = false;
  redis.on('close', () => {
    lost = true;
  });
  redis.on('ready', () => {
    if (!lost) return;
    lost = false;
    back();
  });
}
