// The bench's own cluster (scripts/cluster.mjs on private ports and its own data dir) and what
// the bench reads from it: backend /metrics, per-process CPU and memory, Caddy's sticky cookie.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpStatus } from '../../scripts/cluster/probes.mjs';
import { caddyArgs, caddyEnvironment } from '../../scripts/cluster/services/caddy.mjs';
import { startCluster } from '../../scripts/cluster/start.mjs';
import { stopProcess } from '../../scripts/cluster/supervisor.mjs';
import { which } from '../../scripts/lib/executables.mjs';
import { descendantsOf } from '../../scripts/lib/processes.mjs';
import { ROOT } from '../../scripts/lib/root.mjs';
import { metricSum, parsePrometheus } from './stats.mjs';

/**
 * Ports no other cluster of this repo uses (dev 8080/300x, tests 18080/1300x, faults 24xxx), all
 * below Linux's ephemeral range (32768+): thousands of client connections would otherwise
 * sooner or later take one of them as a local port just before a service binds it.
 */
export function benchPorts(offset = Number(process.env.BENCH_PORT_OFFSET ?? 0)) {
  const p = (n) => n + offset;
  return { http: p(31080), backends: [p(31001), p(31002), p(31003)], postgres: p(31432), redis: p(31379), mongo: p(31017), prometheus: p(31090) };
}

/**
 * Backend settings for load: the per-IP and per-user limits are raised far above what the bench
 * sends (thousands of accounts from one address), and tokens outlive the run. Everything else
 * stays at its production default.
 */
export const BENCH_BACKEND_ENV = Object.freeze({
  AUTH_RATE_LIMIT_PER_MINUTE: '10000000',
  AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE: '10000000',
  AUTH_REFRESH_RATE_LIMIT_PER_MINUTE: '10000000',
  API_RATE_LIMIT_PER_MINUTE: '100000000',
  SOCKET_RATE_LIMIT_PER_MINUTE: '100000000',
  ACCESS_TOKEN_TTL_SECONDS: '14400',
});

/**
 * Each backend opens an inspector on a random loopback port (printed to its log). Nothing attaches
 * to it during a measurement; the idle scenario uses it to run a full GC before each memory
 * reading, and `bench/profile.mjs` to profile.
 */
export const BENCH_INSPECTOR_ENV = Object.freeze({ NODE_OPTIONS: '--inspect=127.0.0.1:0' });

/**
 * `backendEntry`: the backends' main module (default: the working tree's build, backend/dist/main.js).
 * `nodeArgs`: Node options on the backends' command line (what-if runs).
 * @param {{ dataDir: string, ports: object, env?: Record<string, string>, log?: (line: string) => void, owner?: string, backendEntry?: string, nodeArgs?: string[] }} opts
 */
export async function startBenchCluster({ dataDir, ports, env = {}, log, owner = 'bench', backendEntry, nodeArgs = [] }) {
  return startCluster({
    dataDir,
    ports,
    setup: false,
    owner,
    env: { ...BENCH_BACKEND_ENV, ...BENCH_INSPECTOR_ENV, ...env },
    nodeArgs,
    log,
    ...(backendEntry ? { backendEntry } : {}),
  });
}

export async function scrapeMetrics(baseUrl) {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${baseUrl}/metrics answered ${res.status}`);
  const samples = parsePrometheus(await res.text());
  return {
    rssBytes: metricSum(samples, 'process_resident_memory_bytes'),
    cpuSeconds: metricSum(samples, 'process_cpu_seconds_total'),
    heapUsedBytes: metricSum(samples, 'nodejs_heap_size_used_bytes'),
    externalBytes: metricSum(samples, 'nodejs_external_memory_bytes'),
    sockets: metricSum(samples, 'cobalt_sockets_connected'),
    eventLoopLagP99: metricSum(samples, 'nodejs_eventloop_lag_p99_seconds'),
  };
}

/** /metrics of every backend, by instance name (backend-1, ...). */
export async function scrapeBackends(cluster) {
  const all = await Promise.all(cluster.urls.backends.map((u) => scrapeMetrics(u)));
  return Object.fromEntries(all.map((m, i) => [`backend-${i + 1}`, m]));
}

/**
 * The value Caddy's `lb_policy cookie` gives an upstream (an HMAC-SHA256 of its dial address,
 * keyed by the policy's secret, none here): sending it asks Caddy for that upstream.
 */
export const caddyCookieFor = (dial, secret = '') => createHmac('sha256', secret).update(dial).digest('hex');

let clockTicks = null;
function ticksPerSecond() {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function readStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state(3) ... utime(14) stime(15) cutime(16) cstime(17); rest[0] is
    // field 3. cutime/cstime: children it has reaped (Postgres's per-client processes).
    return { ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]) };
  } catch {
    return null;
  }
}

/**
 * How long the process's main thread has waited for a CPU while runnable (run-queue wait, in
 * seconds) and how many times it was put on one, from /proc/<pid>/schedstat; zeros when unknown.
 * For a Node process the main thread is its event loop.
 */
function schedOf(pid) {
  try {
    const [, waitNs, slices] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { waitSeconds: waitNs / 1e9, slices };
  } catch {
    return { waitSeconds: 0, slices: 0 };
  }
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds and RSS of `pid` and all its descendants (Postgres runs one process per client),
 * counting descendants that have exited and been reaped too; and their main threads' run-queue
 * wait and times scheduled (live processes only).
 */
export function processTree(pid) {
  let ticks = 0;
  let rss = 0;
  let waitSeconds = 0;
  let slices = 0;
  for (const p of descendantsOf([pid])) {
    const s = readStat(p);
    if (!s) continue;
    ticks += s.ticks;
    rss += rssOf(p);
    const sched = schedOf(p);
    waitSeconds += sched.waitSeconds;
    slices += sched.slices;
  }
  return { cpuSeconds: ticks / ticksPerSecond(), rssBytes: rss, waitSeconds, slices };
}

/** CPU and RSS of every running service of the cluster (none when `cluster` is null), plus any extra named pids. */
export function sampleProcesses(cluster, extra = {}) {
  const out = {};
  for (const s of cluster?.services() ?? []) if (s.exit === null && s.pid) out[s.name] = processTree(s.pid);
  for (const [name, pid] of Object.entries(extra)) out[name] = processTree(pid);
  return out;
}

/** CPU seconds each process spent between two samples. */
export function cpuDelta(before, after) {
  const out = {};
  for (const [name, a] of Object.entries(after)) if (before[name]) out[name] = a.cpuSeconds - before[name].cpuSeconds;
  return out;
}

/**
 * How long each process's main threads waited for a CPU between two samples, and how many times
 * they were scheduled: { name: { waitSeconds, slices } }.
 */
export function waitDelta(before, after) {
  const out = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name];
    if (b && a.waitSeconds !== undefined) out[name] = { waitSeconds: Math.max(0, a.waitSeconds - b.waitSeconds), slices: Math.max(0, a.slices - b.slices) };
  }
  return out;
}

/**
 * CPU seconds of the whole machine so far (all cores), from one read of /proc/stat: `busy`
 * (everything but idle and I/O wait, steal included) and `steal` (what the hypervisor took from
 * this machine's virtual CPUs).
 */
export function machineCpuSeconds() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / ticksPerSecond(), steal: steal / ticksPerSecond() };
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
export const machineBusySeconds = () => machineCpuSeconds().busy;

/**
 * Measures a window: how busy the machine was, how much of that was the cluster and the given
 * processes, and so how much came from elsewhere (the machines are shared).
 * `const stop = loadMeter(cluster, pids); ...; stop()` -> percentages of one core.
 */
export function loadMeter(cluster, pids = {}) {
  const sample = () => sampleProcesses(cluster, pids);
  const t0 = performance.now();
  const machine0 = machineBusySeconds();
  const before = sample();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const machinePercent = (100 * (machineBusySeconds() - machine0)) / seconds;
    const byProcess = Object.fromEntries(Object.entries(cpuDelta(before, sample())).map(([n, s]) => [n, (100 * s) / seconds]));
    const oursPercent = Object.values(byProcess).reduce((a, v) => a + v, 0);
    return { machinePercent, oursPercent, othersPercent: Math.max(0, machinePercent - oursPercent), byProcess };
  };
}

/**
 * Waits until the cluster's processes together use less than `belowPercent` of a core (over 1 s
 * samples): a scenario that overloaded the cluster leaves queued work behind. Resolves with how
 * long it waited (capped at `maxMs`).
 */
export async function waitQuiet(cluster, { belowPercent = 25, maxMs = 60_000 } = {}) {
  const started = performance.now();
  while (performance.now() - started < maxMs) {
    const stop = loadMeter(cluster);
    await sleep(1000);
    if (stop().oursPercent < belowPercent) break;
  }
  return Math.round(performance.now() - started);
}

/**
 * A second Caddy, on the cluster's own Caddyfile, with one upstream only (`upstream`, host:port):
 * what the proxy hop costs by itself, apart from spreading requests over three backends that share
 * the machine's cores. Resolves once it answers /health/ready; `stop()` ends it.
 * @param {{ port: number, upstream: string, dataDir: string }} opts
 */
export async function startSingleUpstreamCaddy({ port, upstream, dataDir }) {
  const caddy = which('caddy');
  if (!caddy) throw new Error('caddy not found (run node scripts/setup.mjs)');
  const caddyDir = join(dataDir, 'caddy-one');
  mkdirSync(caddyDir, { recursive: true });
  const child = spawn(caddy, caddyArgs(ROOT), { cwd: caddyDir, stdio: 'ignore', env: caddyEnvironment({ root: ROOT, caddyDir, port, upstreams: upstream }) });
  const url = `http://127.0.0.1:${port}`;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const stop = () => stopProcess(/** @type {number} */ (child.pid), 'caddy', exited);
  for (const until = Date.now() + 15_000; (await httpStatus(`${url}/health/ready`)) !== 200; await sleep(100)) {
    if (exited()) throw new Error(`the second Caddy exited with ${child.exitCode ?? child.signalCode}`);
    if (Date.now() > until) {
      await stop();
      throw new Error('the second Caddy did not become ready within 15 s');
    }
  }
  return { url, pid: /** @type {number} */ (child.pid), stop };
}
