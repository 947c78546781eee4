import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../../scripts/lib/root.mjs';
import { startCluster } from '../../../scripts/cluster/start.mjs';

/** Knobs of the suite (environment). */
export const knobs = {
  soakSeconds: Number(process.env.COBALT_FAULT_SOAK_SECONDS ?? 60),
  outageSeconds: Number(process.env.COBALT_FAULT_OUTAGE_SECONDS ?? 10),
  users: Number(process.env.COBALT_FAULT_USERS ?? 24),
  /** Pause between two steps of one client (ms, uniform in the range). */
  thinkMs: (process.env.COBALT_FAULT_THINK_MS ?? '3000,5000').split(',').map(Number) as [number, number],
  /** Scenario s uses ports base + 100·s + {1,2,3 backends, 17 mongo, 32 postgres, 79 redis, 80 http, 90 prometheus}. */
  portBase: Number(process.env.COBALT_FAULT_PORT_BASE ?? 24000),
};

export interface ServiceInfo {
  name: string;
  pid: number;
  logFile: string;
  exit: { code: number | null; signal: string | null } | null;
  deliberate: boolean;
}

export interface Cluster {
  urls: { public: string; backends: string[]; mongo: string; postgres: string; redis: string };
  ports: { http: number; backends: number[] };
  dataDir: string;
  services(): ServiceInfo[];
  kill(name: string, signal?: string): Promise<{ exitedInMs: number; pid: number; exit: ServiceInfo['exit'] }>;
  start(name: string): Promise<{ pid: number; readyInMs: number }>;
  /** `exit`: how the stopped process ended; `stoppedPid` its pid, `pid` the new one's. */
  restart(name: string, options?: { signal?: string }): Promise<{ exitedInMs: number; exit: ServiceInfo['exit']; stoppedPid: number; readyInMs: number; pid: number }>;
  stop(): Promise<void>;
}

export interface FaultCluster {
  cluster: Cluster;
  /** Services that died without being stopped on purpose (a crash). */
  crashes: string[];
  stop(): Promise<void>;
}

/**
 * A whole cluster of its own (Caddy, three backends, Postgres, Redis, MongoDB wire, Prometheus)
 * on private ports and a fresh data dir under .data/faults/<name>, free to be broken.
 */
export async function startFaultCluster(slot: number, name: string, env: Record<string, string> = {}): Promise<FaultCluster> {
  const base = knobs.portBase + slot * 100;
  const dataDir = join(ROOT, '.data', 'faults', name);
  rmSync(dataDir, { recursive: true, force: true });
  const crashes: string[] = [];
  const cluster: Cluster = await startCluster({
    dataDir,
    setup: false,
    owner: 'faults',
    ports: { http: base + 80, backends: [base + 1, base + 2, base + 3], postgres: base + 32, redis: base + 79, mongo: base + 17, prometheus: base + 90 },
    env: {
      // Every device of the simulated users signs in from this one address.
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: 'warn',
      ...env,
    },
    log: () => undefined,
    onExit: (svc: { name: string }, how: string) => crashes.push(`${svc.name} (${how})`),
  });
  return { cluster, crashes, stop: () => cluster.stop() };
}

/** Sums every sample of each metric name on one backend's /metrics. */
export async function scrapeMetrics(backendUrl: string): Promise<Map<string, number>> {
  const res = await fetch(new URL('/metrics', backendUrl), { signal: AbortSignal.timeout(5000) });
  const sums = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match) sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return sums;
}

/**
 * When Caddy's active health checks saw `hostPort` fail after `sinceMs` (ms since the epoch), one
 * entry per check. Caddy logs each failed probe ("HTTP request failed" / "unexpected status code").
 */
export function caddyHealthFailures(dataDir: string, hostPort: string, sinceMs: number): number[] {
  const file = join(dataDir, 'logs', 'caddy.log');
  if (!existsSync(file)) return [];
  const times: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{') || !line.includes('health_checker')) continue;
    const entry = JSON.parse(line) as { ts: number; host?: string; msg: string };
    if (entry.host === hostPort && entry.msg !== 'host is up' && entry.ts * 1000 >= sinceMs) times.push(entry.ts * 1000);
  }
  return times;
}

export const percentile = (values: number[], p: number): number => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
