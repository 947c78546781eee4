// Scenario 3, HTTP at fixed concurrency: the REST list (a page of 20), REST create, and the
// GraphQL page with each todo's owner; through Caddy and direct to one backend, interleaved in
// the same run. Each run is a measured window: CPU of every process, store and Redis commands,
// per request. Also counts the Postgres reads one GraphQL page costs.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { findPostgresBin } from '../../scripts/lib/executables.mjs';
import { startWorker } from '../lib/workers.mjs';
import { mergeWindows, perOperation } from '../lib/counters.mjs';

const execFileAsync = promisify(execFile);

export const GRAPHQL_PAGE = 'query Page { todos(limit: 20) { items { id title owner { id name } } } }';

/**
 * The creates come last: on a store without pushdown every todo they add makes the reads that
 * follow slower, and the two reads are compared with each other.
 */
export function endpoints({ reader, writers }) {
  return [
    { key: 'rest-list', label: 'GET /api/todos?limit=20', method: 'GET', path: '/api/todos?limit=20', tokens: [reader] },
    { key: 'graphql-page', label: 'GraphQL todos(limit: 20) + owner', method: 'POST', path: '/graphql', body: { query: GRAPHQL_PAGE }, tokens: [reader], check: 'graphql' },
    { key: 'rest-create', label: 'POST /api/todos', method: 'POST', path: '/api/todos', body: { title: 'bench http create' }, tokens: writers },
  ];
}

/** Sums results of the runs of one endpoint on one target (requests are weighted by run time). */
function combine(runs, route) {
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const seconds = runs.reduce((a, r) => a + r.durationS, 0);
  const window = mergeWindows(runs.map((r) => r.window));
  // What the servers spent on these runs, per request the backends answered (their own count, so
  // requests still in flight when a run ended are counted as the servers did them; autocannon's
  // count where the backends give none): CPU ms by process group, store and Redis commands.
  const served = window?.http && route ? (window.http[route] ?? requests) : requests;
  const per = window && requests ? perOperation(window, served) : null;
  const { cpuPercent = null, otherLoadPercent = null, ...perRequest } = per ?? {};
  return {
    requests,
    served,
    reqPerSec: requests / seconds,
    latencyMs: {
      p50: runs.reduce((a, r) => a + r.latencyMs.p50 * r.requests, 0) / Math.max(1, requests),
      p99: Math.max(...runs.map((r) => r.latencyMs.p99)),
      max: Math.max(...runs.map((r) => r.latencyMs.max)),
    },
    errors: runs.reduce((a, r) => a + r.errors + r.timeouts + r.badBodies, 0),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    sample: runs.flatMap((r) => r.sample).slice(0, 3),
    runs: runs.length,
    // CPU of other work on the (shared) machine while these runs went on, in % of one core.
    otherLoadPercent,
    // CPU of each process of the cluster (and the load generator) meanwhile, in % of one core.
    cpuPercent,
    perRequest: per ? perRequest : null,
  };
}

/**
 * Each endpoint is measured Caddy, direct, direct, Caddy (ABBA, about `halfS` seconds each) so a
 * drift in machine load during the run weighs on both sides alike. `meter(pids)`, when given, opens a
 * measured window around each run (lib/counters.mjs openWindow) and resolves with its `close()`.
 * @param {{ targets: { caddy: string, direct: string, caddyOne?: string, caddyOnePid?: number }, reader: string, writers: string[], connections?: number, halfS?: number, warmupS?: number, amount?: number,
 *   meter?: (pids: any) => Promise<any>, log: (line: string) => void }} opts
 */
export async function runHttp({ targets, reader, writers, connections = 10, halfS = 5, warmupS = 2, amount, meter, log }) {
  const worker = await startWorker('http-load');
  const results = {};
  try {
    for (const ep of endpoints({ reader, writers })) {
      // Each measured run sends a fixed number of requests, sized from the warm-up's rate to last
      // about `halfS`, and ends when every answer is in: a run cut off by time would leave requests
      // in flight whose work the servers do after the run (in the next window, or uncounted).
      let perRun = amount;
      if (warmupS) {
        const warm = await worker.call('run', { url: targets.caddy, ...ep, connections, durationS: warmupS });
        perRun ??= Math.max(connections * 20, Math.round(warm.reqPerSec * halfS));
        await sleep(500); // the warm-up's last requests are answered before the first window opens
      }
      // With a second Caddy in front of the direct backend alone, that one is measured too: the hop by itself.
      const one = targets.caddyOne !== undefined;
      const order = amount
        ? ['caddy', 'direct', ...(one ? ['caddyOne'] : [])]
        : one
          ? ['caddy', 'direct', 'caddyOne', 'caddyOne', 'direct', 'caddy']
          : ['caddy', 'direct', 'direct', 'caddy'];
      log(`http ${ep.label}: ${connections} connections, ${perRun ? `${perRun} requests per run` : `${halfS} s per run`}, runs ${order.join(', ')}`);
      const runs = { caddy: [], direct: [], caddyOne: [] };
      for (const t of order) {
        const close = await meter?.({ 'http-load': worker.pid, ...(one && targets.caddyOnePid ? { 'caddy-one': targets.caddyOnePid } : {}) });
        const run = await worker.call('run', { url: targets[t], ...ep, connections, ...(perRun ? { amount: perRun } : { durationS: halfS }) }, 300_000);
        runs[t].push({ ...run, window: close ? await close() : null });
      }
      const route = `${ep.method} ${ep.path.split('?')[0]}`;
      results[ep.key] = { label: ep.label, caddy: combine(runs.caddy, route), direct: combine(runs.direct, route) };
      const r = results[ep.key];
      r.caddyCost = r.direct.reqPerSec > 0 ? 1 - r.caddy.reqPerSec / r.direct.reqPerSec : null;
      if (one) {
        r.caddyOne = combine(runs.caddyOne, route);
        r.caddyOneCost = r.direct.reqPerSec > 0 ? 1 - r.caddyOne.reqPerSec / r.direct.reqPerSec : null;
      }
      log(
        `  caddy ${r.caddy.reqPerSec.toFixed(0)} req/s p99 ${r.caddy.latencyMs.p99} ms | direct ${r.direct.reqPerSec.toFixed(0)} req/s p99 ${r.direct.latencyMs.p99} ms${r.caddyOne ? ` | Caddy to that backend alone ${r.caddyOne.reqPerSec.toFixed(0)} req/s p99 ${r.caddyOne.latencyMs.p99} ms` : ''} | errors ${r.caddy.errors + r.direct.errors + r.caddy.non2xx + r.direct.non2xx + (r.caddyOne ? r.caddyOne.errors + r.caddyOne.non2xx : 0)}`,
      );
    }
  } finally {
    await worker.stop();
  }
  return results;
}

/** Index and sequential reads of each of Cobalt's Postgres tables so far (pg_stat_user_tables, schema public). */
async function tableReads(postgresUrl) {
  const url = new URL(postgresUrl);
  const bin = findPostgresBin();
  if (!bin) throw new Error('psql not found');
  const { stdout } = await execFileAsync(
    join(bin, 'psql'),
    [
      '-X',
      '-q',
      '-h',
      url.hostname,
      '-p',
      url.port,
      '-U',
      decodeURIComponent(url.username),
      '-d',
      url.pathname.slice(1),
      '-tAF',
      ',',
      '-c',
      "SELECT relname, coalesce(seq_scan,0) + coalesce(idx_scan,0) FROM pg_stat_user_tables WHERE schemaname = 'public'",
    ],
    { timeout: 10_000, env: { ...process.env, LC_ALL: 'C' } },
  );
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(','))
      .map(([t, n]) => [t, Number(n)]),
  );
}

/**
 * Postgres table reads per request of `request()` (run `count` times, one at a time). Backends
 * publish their table statistics within ~10 s of going idle, so the second reading waits for that.
 */
export async function postgresReadsPerRequest(postgresUrl, request, { count = 100, flushWaitMs = 11_000 } = {}) {
  await sleep(flushWaitMs);
  const before = await tableReads(postgresUrl);
  for (let i = 0; i < count; i++) await request();
  await sleep(flushWaitMs);
  const after = await tableReads(postgresUrl);
  const perRequest = {};
  for (const [t, n] of Object.entries(after)) {
    const d = n - (before[t] ?? 0);
    if (d) perRequest[t] = d / count;
  }
  return { count, perRequest, total: Object.values(perRequest).reduce((a, n) => a + n, 0) };
}
