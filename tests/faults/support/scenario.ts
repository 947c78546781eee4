import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { descendantsOf, signalProcess } from '../../../scripts/lib/processes.mjs';
import { ROOT } from '../../../scripts/lib/root.mjs';
import { knobs, percentile, scrapeMetrics, startFaultCluster, type FaultCluster } from './fault-cluster.js';
import type { FailedAttempt } from './ledger.js';
import { LoadGenerator } from './load.js';
import { sleep } from './sim-client.js';
import { awaitConvergence, checkWrites, readServerState, type Convergence, type ServerState, type WriteCheck } from './verify.js';

export interface Figures {
  scenario: string;
  clients: number;
  sockets: number;
  loadSeconds: number;
  writes: { sent: number; acked: number; rejected: number; unresolved: number; retried: number; attempts: number; ackP95Ms: number; firstTryP50Ms: number; firstTryP95Ms: number };
  reads: { sent: number; failed: number };
  lost: number;
  duplicateCreates: number;
  /** Updates or deletes applied more than once (versions beyond what the acknowledged writes make). */
  appliedTwice: number;
  /** Live events for a seq a socket had already applied: the server may announce again; the client drops them. */
  repeatedEvents: number;
  /** One seq heard for two different changes: must be 0. */
  seqConflicts: number;
  /** Syncs a socket sent because a skipped seq did not arrive in time. */
  gapSyncs: number;
  logGaps: number;
  appliedUnacknowledged: number;
  reconnects: { count: number; p95Ms: number; maxMs: number; resyncP95Ms: number; unfinished: number };
  convergence: { converged: number; total: number; ms: number };
  /** Scenario-specific figures, in the order they are printed. */
  extra: [string, string | number][];
}

/** Caddy's active health check interval (caddy/Caddyfile `health_interval`). */
export const CADDY_HEALTH_INTERVAL_MS = 2000;

export interface Outage {
  service: string;
  from: number;
  down: number;
  restart: number;
  up: number;
  stopMs: number;
  startMs: number;
  core: { from: number; to: number };
}

export interface Outcome {
  figures: Figures;
  check: WriteCheck;
  convergence: Convergence;
  state: ServerState;
}

/**
 * One fault scenario: its own cluster, a steady load of simulated devices through Caddy, and at
 * the end the stored state compared with every acknowledgement and every replica.
 */
export class FaultScenario {
  readonly load: LoadGenerator;
  /** Each backend's own /health/ready, sampled every 500 ms while the scenario runs. */
  readonly readiness: { at: number; ready: boolean[] }[] = [];
  private monitor?: NodeJS.Timeout;
  private constructor(
    readonly name: string,
    readonly env: FaultCluster,
  ) {
    this.load = new LoadGenerator({ baseUrl: env.cluster.urls.public, users: knobs.users, thinkMs: knobs.thinkMs });
  }

  static async open(slot: number, name: string): Promise<FaultScenario> {
    const env = await startFaultCluster(slot, name);
    const scenario = new FaultScenario(name, env);
    try {
      await scenario.load.setup();
      scenario.monitor = setInterval(() => void scenario.sampleReadiness(), 500);
    } catch (error) {
      await scenario.close();
      throw error;
    }
    return scenario;
  }

  get cluster() {
    return this.env.cluster;
  }

  private async sampleReadiness(): Promise<void> {
    const at = Date.now();
    const ready = await Promise.all(
      this.cluster.urls.backends.map((url) =>
        fetch(new URL('/health/ready', url), { signal: AbortSignal.timeout(1500) }).then(
          (res) => res.status === 200,
          () => false,
        ),
      ),
    );
    this.readiness.push({ at, ready });
  }

  /**
   * Stops the service (its usual stop signal), keeps it away for `seconds` from the moment it has
   * exited, and starts it again. `down`: exited; `restart`: being started again; `up`: ready again;
   * `core`: from one Caddy health interval (plus a margin) after `down` until `restart`, when every
   * consequence of the outage is in place.
   * `during` runs at the start of `core` (probes of what works and what does not).
   */
  async outage(service: string, seconds: number, during?: () => Promise<void>): Promise<Outage> {
    const from = Date.now();
    const stopped = await this.cluster.kill(service);
    const down = Date.now();
    if (during) {
      await sleep(CADDY_HEALTH_INTERVAL_MS + 1000);
      await during();
    }
    await sleep(Math.max(0, seconds * 1000 - (Date.now() - down)));
    const restart = Date.now();
    const started = await this.cluster.start(service);
    const up = Date.now();
    return { service, from, down, restart, up, stopMs: stopped.exitedInMs, startMs: started.readyInMs, core: { from: down + CADDY_HEALTH_INTERVAL_MS + 1000, to: restart } };
  }

  /**
   * Stops every process of the cluster and their children (SIGSTOP), keeps them stopped `seconds`,
   * and continues them: a paused VM, or a host that stalls. The devices (this process) keep
   * running, as clients on other machines would: their requests and acks time out and are retried.
   */
  async freeze(seconds: number): Promise<{ at: number; thawedAt: number; processes: number }> {
    const pids = descendantsOf(
      this.cluster
        .services()
        .filter((s) => !s.exit)
        .map((s) => s.pid),
    );
    // A process gone meanwhile (a postgres worker that ended) is skipped.
    const signal = (name: NodeJS.Signals) => pids.forEach((pid) => signalProcess(pid, name));
    const at = Date.now();
    signal('SIGSTOP');
    try {
      await sleep(seconds * 1000);
    } finally {
      signal('SIGCONT');
    }
    return { at, thawedAt: Date.now(), processes: pids.length };
  }

  /** True when at least one backend answered ready in every sample of the `windowMs` before `at`. */
  private readyThroughout(at: number, windowMs: number): boolean {
    const samples = this.readiness.filter((s) => s.at >= at - windowMs && s.at <= at);
    return samples.length > 0 && samples.every((s) => s.ready.some(Boolean));
  }

  /**
   * Caddy's own 502/503/504 answers to writes at a time when some backend had been ready for longer
   * than Caddy's health interval (so Caddy's active check had seen it ready).
   */
  proxyErrorsWhileReady(): FailedAttempt[] {
    return this.load.ledger.writes.flatMap((w) => w.failures).filter((f) => f.code.startsWith('proxy') && this.readyThroughout(f.at, CADDY_HEALTH_INTERVAL_MS + 500));
  }

  /** Stops the load, lets pending writes finish (retrying), then compares everything with the database. */
  async finish(drainMs = 20_000, convergeMs = 15_000): Promise<Outcome> {
    await this.load.stop(drainMs);
    clearInterval(this.monitor);
    const unanswered = this.load.ledger.writes.filter((w) => w.outcome !== 'acked');
    const state = await readServerState(this.cluster.urls.mongo, this.load.userIds, unanswered);
    const check = checkWrites(this.load.ledger, state);
    const convergence = await awaitConvergence(this.load.sockets, state, convergeMs);
    return { figures: this.figures(check, convergence), check, convergence, state };
  }

  private figures(check: WriteCheck, convergence: Convergence): Figures {
    const { writes, reads } = this.load.ledger;
    const reconnects = this.load.sockets.flatMap((s) => s.reconnects);
    const helloMs = reconnects.filter((r) => r.helloAt).map((r) => r.helloAt! - r.at);
    const syncedMs = reconnects.filter((r) => r.syncedAt).map((r) => r.syncedAt! - r.at);
    const acked = writes.filter((w) => w.outcome === 'acked');
    const firstTry = acked.filter((w) => w.attempts === 1).map((w) => w.ackedAt! - w.startedAt);
    return {
      scenario: this.name,
      clients: this.load.clients.length,
      sockets: this.load.sockets.length,
      loadSeconds: Math.round((this.load.stoppedAt - this.load.startedAt) / 1000),
      writes: {
        sent: writes.length,
        acked: acked.length,
        rejected: writes.filter((w) => w.outcome === 'rejected').length,
        unresolved: writes.filter((w) => w.outcome === 'unresolved' || w.outcome === 'pending').length,
        retried: writes.filter((w) => w.attempts > 1).length,
        attempts: writes.reduce((n, w) => n + w.attempts, 0),
        ackP95Ms: percentile(
          acked.map((w) => w.ackedAt! - w.startedAt),
          95,
        ),
        firstTryP50Ms: percentile(firstTry, 50),
        firstTryP95Ms: percentile(firstTry, 95),
      },
      reads: { sent: reads.length, failed: reads.filter((r) => !r.ok).length },
      lost: check.lost.length,
      duplicateCreates: check.duplicateCreates.reduce((n, d) => n + d.ids.length - 1, 0),
      appliedTwice: check.appliedTwice.length,
      repeatedEvents: this.load.sockets.reduce((n, s) => n + s.repeatedEvents, 0),
      seqConflicts: this.load.sockets.reduce((n, s) => n + s.seqConflicts, 0),
      gapSyncs: this.load.sockets.reduce((n, s) => n + s.gapSyncs, 0),
      logGaps: check.logGaps,
      appliedUnacknowledged: check.appliedUnacknowledged,
      reconnects: {
        count: reconnects.length,
        p95Ms: percentile(helloMs, 95),
        maxMs: Math.max(0, ...helloMs),
        resyncP95Ms: percentile(syncedMs, 95),
        unfinished: reconnects.filter((r) => !r.syncedAt).length,
      },
      convergence: { converged: convergence.converged, total: convergence.total, ms: convergence.ms },
      extra: [],
    };
  }

  /** Prints the figures (and what went wrong, if anything) and keeps them under .data/faults/results. */
  report(outcome: Outcome): void {
    const f = outcome.figures;
    const w = f.writes;
    const rows: [string, string | number][] = [
      ['clients (sockets + HTTP)', `${f.clients} (${f.sockets} + ${f.clients - f.sockets})`],
      ['load duration', `${f.loadSeconds} s`],
      ['writes sent / acked', `${w.sent} / ${w.acked}`],
      ['writes failed (rejected + never acked)', `${w.rejected + w.unresolved} (${w.rejected} + ${w.unresolved})`],
      ['writes retried (attempts in all)', `${w.retried} (${w.attempts})`],
      ['failed attempts by answer', histogram(this.load.ledger.writes.flatMap((x) => x.failures.map(describeFailure)))],
      ['ack latency p95 (incl. retries)', `${w.ackP95Ms} ms`],
      ['ack latency first try p50 / p95', `${w.firstTryP50Ms} / ${w.firstTryP95Ms} ms`],
      ['reads sent / failed', `${f.reads.sent} / ${f.reads.failed}`],
      ['lost acked writes', f.lost],
      ['duplicate creates', f.duplicateCreates],
      ['updates or deletes applied twice', f.appliedTwice],
      ['events for a seq already applied (dropped)', f.repeatedEvents],
      ['seqs heard for two different changes', f.seqConflicts],
      ['syncs after a skipped seq', f.gapSyncs],
      ['change-log gaps', f.logGaps],
      ['applied but never acked creates', f.appliedUnacknowledged],
      ['reconnects (p95 / max to hello)', `${f.reconnects.count} (${f.reconnects.p95Ms} / ${f.reconnects.maxMs} ms)`],
      ['resync p95 (disconnect to synced)', `${f.reconnects.resyncP95Ms} ms`],
      ['disconnect reasons', histogram(this.load.sockets.flatMap((s) => s.reconnects.map((r) => `${s.transport} ${r.reason}`)))],
      ['proxy 502/503 while a backend had been ready > 2.5 s', this.proxyErrorsWhileReady().length],
      ['handshake errors', histogram(this.load.sockets.flatMap((s) => [...s.connectErrors].flatMap(([code, n]) => Array<string>(n).fill(`${s.transport} ${code}`))))],
      ['replicas converged', `${f.convergence.converged}/${f.convergence.total} (${f.convergence.ms} ms)`],
      ...f.extra,
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    const lines = [`\n=== fault scenario: ${f.scenario}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
    const problems = [
      ...outcome.check.lost.slice(0, 5).map((l) => `  lost: ${l.op} ${l.key} via ${l.via}: ${l.why}`),
      ...outcome.check.duplicateCreates.slice(0, 5).map((d) => `  duplicate: ${d.key} -> ${d.ids.join(', ')}`),
      ...outcome.check.appliedTwice.slice(0, 5).map((d) => `  applied twice: ${d.todoKey} (${d.id}) at version ${d.version}, its acknowledged writes make ${d.expected}`),
      ...outcome.convergence.diverged.slice(0, 5).map((d) => `  diverged: ${d.clientId} missing ${d.missing}, extra ${d.extra}, stale ${d.stale}; ${d.examples[0]}`),
      ...this.load.ledger.writes
        .filter((x) => x.outcome === 'rejected' || x.outcome === 'unresolved')
        .slice(0, 8)
        .map(
          (x) =>
            `  ${x.outcome}: ${x.op} ${x.key} via ${x.via} after ${x.attempts} attempts (first ${new Date(x.startedAt).toISOString()}), ` +
            `last answer ${x.lastError}; change log ${outcome.state.keyStates.get(x.key) ?? 'has no entry for its key'}; ` +
            `todo ${x.todoId ?? '(create)'} change log [${(x.todoId ? outcome.state.logByTodo.get(x.todoId) : undefined)?.join(', ') ?? ''}]`,
        ),
      ...this.proxyErrorsWhileReady()
        .slice(0, 3)
        .map(
          (p) =>
            `  ${describeFailure(p)} at ${new Date(p.at).toISOString()} after ${p.ms} ms; backends ready then: ${this.readiness
              .filter((r) => r.at <= p.at)
              .slice(-1)
              .map((r) => r.ready.map((x) => (x ? 'up' : 'down')).join('/'))
              .join(',')}`,
        ),
      ...(this.env.crashes.length ? [`  crashed: ${this.env.crashes.join(', ')}`] : []),
    ];
    console.log([...lines, ...problems].join('\n'));
    const dir = join(ROOT, '.data', 'faults', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${f.scenario}.json`), `${JSON.stringify({ at: new Date().toISOString(), ...f }, null, 2)}\n`);
  }

  async close(): Promise<void> {
    clearInterval(this.monitor);
    this.load.close();
    await sleep(100);
    await this.env.stop();
  }
}

/** "http 503 UNAVAILABLE", "socket ack timeout", "http 503 proxy 503" (Caddy's own answer). */
export const describeFailure = (f: FailedAttempt): string => `${f.via === 'socket' ? 'socket' : 'http'} ${f.status ? `${f.status} ` : ''}${f.code}`;

/** "a×3, b×1", most frequent first; "none" when empty. */
export function histogram(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return (
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([v, n]) => `${v} ×${n}`)
      .join(', ') || 'none'
  );
}

/** Socket clients attached to `instance` that are waiting for the answer to a write sent at least `minAgeMs` ago. */
export function writesInFlightOn(scenario: FaultScenario, instance: string, minAgeMs: number): number {
  const now = Date.now();
  return scenario.load.sockets.filter((s) => s.connected && s.instanceId === instance && s.attemptSentAt !== undefined && now - s.attemptSentAt >= minAgeMs).length;
}

/** Sockets currently attached to each instance, by the instance named in their last `hello`. */
export function socketsByInstance(scenario: FaultScenario): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of scenario.load.sockets) if (s.connected && s.instanceId) counts.set(s.instanceId, (counts.get(s.instanceId) ?? 0) + 1);
  return counts;
}

export interface BackendSample {
  instance: string;
  rssBytes: number;
  heapUsedBytes: number;
  activeHandles: number;
  socketsConnected: number;
}

/** Memory, handles and open sockets of every backend, from its own /metrics. */
export async function sampleBackends(scenario: FaultScenario): Promise<BackendSample[]> {
  return Promise.all(
    scenario.cluster.urls.backends.map(async (url, i) => {
      const m = await scrapeMetrics(url);
      return {
        instance: `backend-${i + 1}`,
        rssBytes: m.get('process_resident_memory_bytes') ?? Number.NaN,
        heapUsedBytes: m.get('nodejs_heap_size_used_bytes') ?? Number.NaN,
        activeHandles: m.get('nodejs_active_handles_total') ?? Number.NaN,
        socketsConnected: m.get('cobalt_sockets_connected') ?? Number.NaN,
      };
    }),
  );
}

/** Waits until Caddy routes a request to `instance` again (it is back in rotation); returns how long that took. */
export async function waitRoutedTo(scenario: FaultScenario, instance: string, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const res = await fetch(new URL('/health/live', scenario.cluster.urls.public), { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (res?.headers.get('x-instance-id') === instance) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`Caddy did not route to ${instance} within ${timeoutMs} ms`);
}

/** Current pids of the backends (a restart or crash changes one). */
export function backendPids(scenario: FaultScenario): Record<string, number> {
  return Object.fromEntries(
    scenario.cluster
      .services()
      .filter((s) => s.name.startsWith('backend-'))
      .map((s) => [s.name, s.exit ? -1 : s.pid]),
  );
}

/** The scenario of a test file: its cluster started before the tests, stopped after them. */
export function useFaultScenario(slot: number, name: string): () => FaultScenario {
  let scenario: FaultScenario | undefined;
  beforeAll(async () => {
    scenario = await FaultScenario.open(slot, name);
  });
  afterAll(async () => {
    await scenario?.close();
  });
  return () => {
    if (!scenario) throw new Error(`scenario ${name} did not start`);
    return scenario;
  };
}

/**
 * What every scenario promises about the data: nothing acknowledged lost, nothing applied or
 * delivered twice, every write answered in the end (retried with its key), every replica equal
 * to the database, no process dead that was not stopped on purpose.
 */
export function expectNothingLost(scenario: FaultScenario, { figures: f }: Outcome): void {
  // The checks below would all pass on a run that did nothing: first, that work was done. Every
  // device steps every 3-5 s, so each writes several times in the shortest scenario.
  expect(f.writes.acked, 'acknowledged writes (at least one per device)').toBeGreaterThanOrEqual(f.clients);
  for (const socket of scenario.load.sockets) expect.soft(socket.eventsReceived, `live events heard by ${socket.id}`).toBeGreaterThan(0);
  expect.soft(f.appliedUnacknowledged, 'creates applied whose client never got an answer').toBe(0);
  expect.soft(f.lost, 'acknowledged writes lost').toBe(0);
  expect.soft(f.duplicateCreates, 'creates applied twice').toBe(0);
  expect.soft(f.appliedTwice, 'updates or deletes applied twice').toBe(0);
  expect.soft(f.seqConflicts, 'one seq given to two changes').toBe(0);
  expect.soft(f.logGaps, 'gaps in the change log').toBe(0);
  expect.soft(f.writes.rejected, 'retried writes refused with a client error').toBe(0);
  expect.soft(f.writes.unresolved, 'writes never acknowledged although retried with the same key').toBe(0);
  expect.soft(f.convergence.converged, 'replicas equal to the database').toBe(f.convergence.total);
  expect.soft(scenario.env.crashes, 'processes that died').toEqual([]);
}
