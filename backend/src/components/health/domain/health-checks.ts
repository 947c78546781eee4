import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import type { Database } from '../../../infra/postgres/client.js';

export type CheckStatus = 'up' | 'down';
export interface Readiness {
  ready: boolean;
  checks: { postgres: CheckStatus; mongodb: CheckStatus; redis: CheckStatus; accepting: CheckStatus };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const probe = (fn: () => Promise<unknown>, ms: number): Promise<CheckStatus> =>
  withTimeout(fn(), ms).then(
    () => 'up' as const,
    () => 'down' as const,
  );

/** Readiness: every store answers within the timeout and the instance is not draining. */
export function createHealthChecks(deps: { db: Database; mongo: Connection; redis: Redis; timeoutMs: number }) {
  let accepting = true;
  return {
    stopAccepting(): void {
      accepting = false;
    },
    /** Whether this instance takes new work: true from start until shutdown begins. */
    accepting: (): boolean => accepting,
    async readiness(): Promise<Readiness> {
      const [postgres, mongodb, redis] = await Promise.all([
        probe(() => deps.db.$queryRaw`SELECT 1`, deps.timeoutMs),
        probe(() => deps.mongo.db!.admin().command({ ping: 1 }), deps.timeoutMs),
        probe(() => deps.redis.ping(), deps.timeoutMs),
      ]);
      const checks = { postgres, mongodb, redis, accepting: accepting ? ('up' as const) : ('down' as const) };
      return { ready: Object.values(checks).every((c) => c === 'up'), checks };
    },
  };
}

export type HealthChecks = ReturnType<typeof createHealthChecks>;
