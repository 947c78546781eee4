// What one measured window cost, counted on the servers themselves: CPU seconds of every process
// (from /proc), MongoDB commands the backends sent (their `cobalt_store_commands_total`, fed by the
// driver's command monitoring) and Redis commands the Redis server ran (`INFO commandstats`).
// Each is read just before and just after the window; per operation = delta / operations done.
import net from 'node:net';
import { cpuDelta, machineCpuSeconds, sampleProcesses, waitDelta } from './cluster.mjs';
import { parsePrometheus } from './stats.mjs';

/** Collections of the todo path, old and new names: commands on them are a write's or read's own. */
export const TODO_COLLECTIONS = new Set(['todos', 'todo_log', 'todo_locks', 'todo_changes', 'idempotency_keys']);

/** Routes whose POSTs are the writes of the fan-out (REST and GraphQL). */
const WRITE_ROUTES = new Set(['/api/todos', '/graphql']);

/**
 * From every backend's /metrics, summed: `cobalt_store_commands_total` as { 'insert todo_log': n, ... }
 * (null when a backend does not expose it: a build from before the metric), the HTTP requests
 * it answered, as { 'GET /api/todos': n, ... } (all statuses), and the garbage collector's pauses
 * (`nodejs_gc_duration_seconds`) as { 'minor count': n, 'minor seconds': s, ... } by kind, and
 * the backends' own timing of the writes they answered (`POST /api/todos` and `POST /graphql`,
 * every status): their duration histogram's cumulative buckets as { 'POST /graphql 0.025': n, ... }.
 */
export async function backendCounts(backendUrls) {
  const texts = await Promise.all(
    backendUrls.map((u) =>
      fetch(`${u}/metrics`, { signal: AbortSignal.timeout(5_000) })
        .then((r) => (r.ok ? r.text() : null))
        .catch(() => null),
    ),
  );
  const store = texts.some((t) => t === null || !t.includes('# TYPE cobalt_store_commands_total')) ? null : {};
  const http = texts.some((t) => t === null) ? null : {};
  const gc = texts.some((t) => t === null) ? null : {};
  const timed = texts.some((t) => t === null) ? null : {};
  for (const t of texts) {
    for (const s of parsePrometheus(t ?? '')) {
      if (s.name === 'cobalt_store_commands_total' && store) {
        const key = s.labels.collection ? `${s.labels.command} ${s.labels.collection}` : s.labels.command;
        store[key] = (store[key] ?? 0) + s.value;
      } else if (s.name === 'cobalt_http_request_duration_seconds_count' && http) {
        const key = `${s.labels.method} ${s.labels.route}`;
        http[key] = (http[key] ?? 0) + s.value;
      } else if (s.name === 'cobalt_http_request_duration_seconds_bucket' && timed && s.labels.method === 'POST' && WRITE_ROUTES.has(s.labels.route)) {
        const key = `POST ${s.labels.route} ${s.labels.le}`;
        timed[key] = (timed[key] ?? 0) + s.value;
      } else if ((s.name === 'nodejs_gc_duration_seconds_count' || s.name === 'nodejs_gc_duration_seconds_sum') && gc) {
        const key = `${s.labels.kind} ${s.name.endsWith('_count') ? 'count' : 'seconds'}`;
        gc[key] = (gc[key] ?? 0) + s.value;
      }
    }
  }
  return { store, http, gc, timed };
}

/** `cobalt_store_commands_total` summed over the backends (see backendCounts). */
export async function storeCommandCounts(backendUrls) {
  return (await backendCounts(backendUrls)).store;
}

/** One command to a Redis server over a plain TCP connection (RESP); resolves with a bulk or simple string reply. */
export function redisCommand(redisUrl, args, timeoutMs = 5_000) {
  const url = new URL(redisUrl);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    let buf = Buffer.alloc(0);
    /** @param {Error | null} err @param {unknown} [value] */
    const done = (err, value) => {
      sock.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    sock.setTimeout(timeoutMs, () => done(new Error(`redis ${args[0]}: no answer within ${timeoutMs} ms`)));
    sock.on('error', (e) => done(e));
    sock.on('connect', () => sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      const head = buf.subarray(0, eol).toString();
      if (head[0] === '+' || head[0] === ':') return done(null, head.slice(1));
      if (head[0] === '-') return done(new Error(`redis ${args[0]}: ${head.slice(1)}`));
      if (head[0] === '$') {
        const len = Number(head.slice(1));
        if (len < 0) return done(null, null);
        if (buf.length >= eol + 2 + len) return done(null, buf.subarray(eol + 2, eol + 2 + len).toString());
        return undefined;
      }
      return done(new Error(`redis ${args[0]}: unexpected reply ${head.slice(0, 40)}`));
    });
  });
}

/** Calls per command since the Redis server started (`INFO commandstats`), as { evalsha: n, publish: n, ... }. */
export async function redisCommandCounts(redisUrl) {
  try {
    const text = await redisCommand(redisUrl, ['INFO', 'commandstats']);
    const out = {};
    for (const m of String(text).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
    return out;
  } catch {
    return null;
  }
}

/** b - a per key (keys only in b count from 0); null when either side is unknown. */
/** @param {any} a @param {any} b @param {(key: string) => boolean} [skip] */
function diffCounts(a, b, skip = () => false) {
  if (!a || !b) return null;
  const out = {};
  for (const [k, v] of Object.entries(b)) {
    if (skip(k)) continue;
    const d = v - (a[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/**
 * The backends' garbage-collection pauses in a window, from the difference of their
 * `nodejs_gc_duration_seconds`: per kind (minor = scavenge, major = mark-compact, incremental,
 * weakcb) how many, their mean and the share of the backends' wall time spent paused (null
 * when unknown).
 * @param {any} delta @param {number} seconds @param {number} backends
 */
export function gcPauses(delta, seconds, backends) {
  if (!delta || backends === 0) return null;
  const kinds = {};
  let paused = 0;
  for (const [key, v] of Object.entries(delta)) {
    const [kind, what] = key.split(' ');
    (kinds[kind] ??= { count: 0, seconds: 0 })[what] = v;
  }
  for (const k of Object.values(kinds)) paused += k.seconds;
  const byKind = Object.fromEntries(
    Object.entries(kinds).map(([kind, k]) => [kind, { count: k.count, perSecond: k.count / seconds, meanMs: k.count ? (1000 * k.seconds) / k.count : 0 }]),
  );
  return { byKind, pausedPercent: (100 * paused) / (seconds * backends) };
}

/**
 * The share of a window's writes slower than each of `thresholdsMs`, as the backends timed them
 * (from their histogram's buckets, so only at its bucket bounds) beside the same share as the
 * writer timed them: what of a slow write is spent in the backend, and what outside it (the
 * writer, Caddy, the network stack, the wait to be read). `route` is `/api/todos` or `/graphql`.
 * @param {any} timed @param {string} route @param {number[]} writerMs @param {number[]} [thresholdsMs]
 */
export function slowWrites(timed, route, writerMs, thresholdsMs = [10, 25, 50]) {
  if (!timed || !writerMs.length) return null;
  const count = timed[`POST ${route} +Inf`] ?? 0;
  return thresholdsMs.map((ms) => {
    const within = timed[`POST ${route} ${ms / 1000}`] ?? 0;
    return {
      overMs: ms,
      backendPercent: count ? (100 * (count - within)) / count : null,
      writerPercent: (100 * writerMs.filter((x) => x > ms).length) / writerMs.length,
    };
  });
}

const sum = (o) => Object.values(o ?? {}).reduce((a, v) => a + v, 0);

/**
 * Opens a measured window on `cluster` (or, without one, on the `pids` alone). `pids`: processes
 * outside the cluster to count (load generators, a peer server), by name. Resolves with `close()`,
 * which resolves with what the window cost. Counters are read outside the CPU window, so reading
 * them is not charged to it; the harness's own `INFO` calls are not counted.
 */
export async function openWindow(cluster, { pids = {}, countStore = true, countRedis = true } = {}) {
  const backends = cluster?.urls.backends ?? [];
  const read = () =>
    Promise.all([
      cluster && countStore ? backendCounts(backends) : { store: null, http: null, gc: null, timed: null },
      cluster && countRedis ? redisCommandCounts(cluster.urls.redis) : null,
    ]);
  const [back0, redis0] = await read();
  const sample = () => sampleProcesses(cluster, pids);
  const cpu0 = sample();
  const machine0 = machineCpuSeconds();
  const t0 = performance.now();
  return async function close() {
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = sample();
    const machine1 = machineCpuSeconds();
    const machineSeconds = machine1.busy - machine0.busy;
    const stealSeconds = machine1.steal - machine0.steal;
    const [back1, redis1] = await read();
    const cpuSeconds = cpuDelta(cpu0, cpu1);
    const ours = sum(cpuSeconds);
    return {
      seconds,
      cpuSeconds,
      // Main threads' time runnable but waiting for a CPU, and times scheduled, by process.
      waits: waitDelta(cpu0, cpu1),
      loadNames: Object.keys(pids),
      machineSeconds,
      stealSeconds,
      otherLoadPercent: (100 * Math.max(0, machineSeconds - ours)) / seconds,
      store: diffCounts(back0.store, back1.store),
      // Requests the backends answered in the window (the harness's own /metrics reads are not among them).
      http: diffCounts(back0.http, back1.http, (k) => k.endsWith(' /metrics')),
      gc: gcPauses(diffCounts(back0.gc, back1.gc), seconds, backends.length),
      timed: diffCounts(back0.timed, back1.timed),
      redis: diffCounts(redis0, redis1, (k) => k === 'info'),
    };
  };
}

/**
 * CPU seconds of a window by role. `server`: everything that serves requests (backends, store,
 * Caddy, Redis, Postgres, or a peer server); Prometheus is monitoring and stays apart; `load`:
 * the load generators (the window's `pids` other than a peer server).
 */
export function cpuGroups(window) {
  const g = { backends: 0, store: 0, caddy: 0, redis: 0, postgres: 0, peer: 0, monitoring: 0, load: 0, server: 0 };
  const load = new Set(window.loadNames ?? []);
  for (const [name, s] of Object.entries(window.cpuSeconds)) g[groupOf(name, load)] += s;
  g.server = g.backends + g.store + g.caddy + g.redis + g.postgres + g.peer;
  return g;
}

/** The role of a process of a window, by its name (see cpuGroups). @param {string} name @param {Set<string>} load */
function groupOf(name, load) {
  if (name === 'nats-server') return 'peer';
  if (name.startsWith('backend-')) return 'backends';
  if (name === 'mongo' || name === 'mongo-store' || name.startsWith('store-')) return 'store';
  if (name === 'caddy' || name === 'caddy-one') return 'caddy';
  if (name === 'redis') return 'redis';
  if (name === 'postgres') return 'postgres';
  return load.has(name) ? 'load' : 'monitoring';
}

/**
 * How long the main threads of each group waited for a CPU while runnable in a window: as a share
 * of the window (100% = one thread always waiting) and per time scheduled (the mean wait before a
 * woken process runs). Groups as in cpuGroups; null without the waits.
 */
export function waitGroups(window) {
  if (!window.waits) return null;
  const groups = {};
  const load = new Set(window.loadNames ?? []);
  for (const [name, w] of Object.entries(window.waits)) {
    const g = (groups[groupOf(name, load)] ??= { waitSeconds: 0, slices: 0 });
    g.waitSeconds += w.waitSeconds;
    g.slices += w.slices;
  }
  return Object.fromEntries(
    Object.entries(groups).map(([group, g]) => [group, { percent: (100 * g.waitSeconds) / window.seconds, meanUs: g.slices ? (1e6 * g.waitSeconds) / g.slices : 0 }]),
  );
}

/**
 * A window divided by the operations it did: CPU milliseconds per operation by role, store
 * commands per operation (the todo path's own, all of them, and by command), Redis commands per
 * operation (all, and the busiest). Every per-operation figure is null when `ops` is 0: a window
 * that did no work measures nothing and must not pass any target.
 */
export function perOperation(window, ops) {
  const n = ops > 0 ? ops : null;
  const per = (v) => (n === null || v === null || v === undefined ? null : v / n);
  const groups = cpuGroups(window);
  const cpuMs = Object.fromEntries(Object.entries(groups).map(([k, s]) => [k, per(s * 1000)]));
  const store = window.store;
  const todoCmds = store
    ? Object.entries(store)
        .filter(([k]) => TODO_COLLECTIONS.has(k.split(' ')[1]))
        .reduce((a, [, v]) => a + v, 0)
    : null;
  const redis = window.redis;
  const top = (counts) => Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1]);
  return {
    ops,
    seconds: window.seconds,
    cpuMs,
    cpuPercent: Object.fromEntries(Object.entries(window.cpuSeconds).map(([k, s]) => [k, (100 * s) / window.seconds])),
    otherLoadPercent: window.otherLoadPercent,
    storeCommands: store
      ? {
          todoPath: per(todoCmds),
          all: per(sum(store)),
          byCommand: Object.fromEntries(top(store).map(([k, v]) => [k, per(v)])),
        }
      : null,
    redisCommands: redis
      ? {
          all: per(sum(redis)),
          byCommand: Object.fromEntries(
            top(redis)
              .slice(0, 8)
              .map(([k, v]) => [k, per(v)]),
          ),
        }
      : null,
  };
}

/** Several windows as one (their times, CPU and counts added up), e.g. the ABBA runs of one HTTP target. */
export function mergeWindows(windows) {
  const list = windows.filter(Boolean);
  if (!list.length) return null;
  const add = (key) => {
    if (list.some((w) => !w[key])) return null;
    const out = {};
    for (const w of list) for (const [k, v] of Object.entries(w[key])) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const seconds = list.reduce((a, w) => a + w.seconds, 0);
  const machineSeconds = list.reduce((a, w) => a + w.machineSeconds, 0);
  const cpuSeconds = add('cpuSeconds');
  return {
    seconds,
    cpuSeconds,
    loadNames: [...new Set(list.flatMap((w) => w.loadNames ?? []))],
    machineSeconds,
    otherLoadPercent: (100 * Math.max(0, machineSeconds - sum(cpuSeconds))) / seconds,
    store: add('store'),
    http: add('http'),
    redis: add('redis'),
  };
}
