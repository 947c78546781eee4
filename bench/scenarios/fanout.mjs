// Scenario 1, fan-out: U users x D devices connected, writes at R/s, and every device of the
// writing user must receive each write exactly once. Latency runs from the write's send (taken
// in the writing process) to each receipt (taken in the receiving process), on the machine's
// monotonic clock, which all processes share.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { caddyCookieFor, waitQuiet } from '../lib/cluster.mjs';
import { openWindow, perOperation, slowWrites, waitGroups } from '../lib/counters.mjs';
import { summarize } from '../lib/stats.mjs';
import { startWorker, startWorkers, stopWorkers } from '../lib/workers.mjs';

/** Warm-up writes before each measured window (see writePhase). */
const WARM_UP_MS = Number(process.env.BENCH_WARM_UP_MS ?? 3_000);

/**
 * Cobalt: Socket.IO receivers through Caddy, spread evenly over the backends; writes over REST,
 * GraphQL and sockets. `extraPids`: processes outside the cluster to count CPU for (a store).
 */
export function cobaltTransport(cluster, { label = 'cobalt', extraPids = {} } = {}) {
  const instances = cluster.ports.backends.map((port, i) => ({ name: `backend-${i + 1}`, cookie: caddyCookieFor(`127.0.0.1:${port}`) }));
  return {
    kind: 'cobalt',
    label,
    receiverWorker: 'socket-client',
    /** Device d of user u sits on instance (u + d) mod N, so each user's devices span the instances. */
    device: (account, d) => {
      const target = instances[(account.user + d) % instances.length];
      return { user: account.user, device: d, session: account.sessions[d % account.sessions.length], want: target.name, cookie: target.cookie };
    },
    connectArgs: (devices, extra = {}) => ({ baseUrl: cluster.urls.public, devices, ...extra }),
    /** Starts the writer process; `run()` then writes 2/3 of the rate over HTTP and 1/3 from the receivers' sockets. */
    async writers() {
      const writer = await startWorker('http-writer');
      return {
        pids: { 'http-writer': writer.pid },
        async run({ run, rate, durationMs, accounts, receivers, usersByWorker }) {
          const users = accounts.map((a) => ({ user: a.user, token: a.tokens[0] }));
          const socketRate = rate / 3;
          const jobs = [
            writer.call('write', { baseUrl: cluster.urls.public, run, rate: rate - socketRate, durationMs, users, channels: ['r', 'g'], writerId: 'h' }, durationMs + 60_000),
          ];
          receivers.forEach((w, k) => {
            const mine = usersByWorker[k];
            const share = (socketRate * mine.length) / accounts.length;
            if (mine.length && share > 0) jobs.push(w.call('write', { run, rate: share, durationMs, users: mine, writerId: `s${k}` }, durationMs + 60_000));
          });
          return Promise.all(jobs);
        },
        stop: () => writer.stop(),
      };
    },
    openWindow: (pids) => openWindow(cluster, { pids: { ...pids, ...extraPids } }),
    /** Until the cluster is quiet (as between ladder steps); resolves with the time waited. */
    settle: () => waitQuiet(cluster, { maxMs: 30_000 }),
  };
}

/** The peer: NATS over WebSocket, one subject per user, publishes over TCP. */
export function natsTransport(peer) {
  return {
    kind: 'nats',
    label: 'nats',
    receiverWorker: 'nats-client',
    device: (account, d) => ({ user: account.user, device: d }),
    connectArgs: (devices, extra = {}) => ({ url: peer.wsUrl, token: peer.token, devices, ...extra }),
    async writers() {
      const writer = await startWorker('nats-writer');
      return {
        pids: { 'nats-writer': writer.pid },
        run: async ({ run, rate, durationMs, accounts }) => [
          await writer.call('write', { port: peer.port, token: peer.token, run, rate, durationMs, users: accounts.map((a) => a.user) }, durationMs + 60_000),
        ],
        stop: () => writer.stop(),
      };
    },
    openWindow: (pids) => openWindow(null, { pids: { 'nats-server': peer.pid(), ...pids } }),
    settle: () => sleep(1_000).then(() => 1_000),
  };
}

/** Connects every device of `accounts` through `transport` in `workers` processes (user u in worker u mod W). */
export async function connectDevices(transport, accounts, { devicesPerUser, workers, reconnection = false, concurrency = 20 }) {
  const receivers = await startWorkers(transport.receiverWorker, workers, { file: transport.receiverFile });
  /** @type {any[][]} */
  const usersByWorker = receivers.map(() => []);
  /** @type {any[][]} */
  const devicesByWorker = receivers.map(() => []);
  accounts.forEach((a, i) => {
    const k = i % workers;
    usersByWorker[k].push(a.user);
    for (let d = 0; d < devicesPerUser; d++) devicesByWorker[k].push(transport.device(a, d));
  });
  const started = performance.now();
  const results = await Promise.all(receivers.map((w, k) => w.call('connect', transport.connectArgs(devicesByWorker[k], { reconnection, concurrency }), 600_000)));
  const elapsedMs = performance.now() - started;
  const byInstance = {};
  for (const r of results) for (const [inst, n] of Object.entries(r.byInstance)) byInstance[inst] = (byInstance[inst] ?? 0) + n;
  const connect = {
    requested: devicesByWorker.reduce((a, l) => a + l.length, 0),
    connected: results.reduce((a, r) => a + r.connected, 0),
    failed: results.reduce((a, r) => a + r.failed, 0),
    placedAsWanted: results.reduce((a, r) => a + r.placedAsWanted, 0),
    errors: results.flatMap((r) => r.errors).slice(0, 5),
    byInstance,
    elapsedMs,
    perSec: results.reduce((a, r) => a + r.connected, 0) / (elapsedMs / 1000),
    handshakeMs: summarize(results.flatMap((r) => r.handshakeMs)),
  };
  return { receivers, usersByWorker, connect };
}

async function tally(receivers) {
  const all = await Promise.all(receivers.map((w) => w.call('tally')));
  return all.reduce((a, t) => a + t.receipts, 0);
}

/** Waits until `expected` receipts arrived, or none arrived for `quietMs` (at most `maxMs`). */
async function drain(receivers, expected, { quietMs = 3_000, maxMs = 30_000 } = {}) {
  const started = Date.now();
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const got = await tally(receivers);
    if (got >= expected) break;
    if (got !== last) {
      last = got;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > quietMs || Date.now() - started > maxMs) break;
    await sleep(200);
  }
  await sleep(500); // room for a duplicate to show up
  return Date.now() - started;
}

/**
 * Compares what was written with what was received: every acknowledged write of user u must be
 * received once by each of u's connected devices, and by nobody else.
 */
export function accountDeliveries(writes, reports) {
  const writeUser = new Map();
  for (const r of writes) for (const [user, nonce] of r.acked) writeUser.set(`${user}|${nonce}`, user);
  const devicesOf = new Map();
  const receivedBy = new Map();
  let duplicated = 0;
  /** Of the duplicated, the repeats the client took as new (the SDK drops a seq it has). */
  let duplicatedAsNew = 0;
  let misdelivered = 0;
  let unconfirmed = 0;
  let drops = 0;
  /** @type {Record<string, number>} */
  const dropReasons = {};
  let received = 0;
  for (const rep of reports) {
    for (const c of rep.conns) {
      devicesOf.set(c.user, (devicesOf.get(c.user) ?? 0) + 1);
      drops += c.drops;
      for (const { reason, instance } of c.dropReasons ?? []) {
        const key = `${reason} (${instance})`;
        dropReasons[key] = (dropReasons[key] ?? 0) + 1;
      }
      for (const [key, count] of c.receipts) {
        received += count;
        const user = writeUser.get(key);
        if (user === undefined) unconfirmed += count;
        else if (user !== c.user) misdelivered += count;
        else {
          receivedBy.set(key, (receivedBy.get(key) ?? 0) + 1);
          duplicated += count - 1;
        }
      }
      for (const [key, count] of c.freshRepeats ?? []) if (writeUser.get(key) === c.user) duplicatedAsNew += count;
    }
  }
  let expected = 0;
  let lost = 0;
  for (const [key, user] of writeUser) {
    const want = devicesOf.get(user) ?? 0;
    expected += want;
    lost += Math.max(0, want - (receivedBy.get(key) ?? 0));
  }
  return { writes: writeUser.size, expected, received, lost, duplicated, duplicatedAsNew, misdelivered, unconfirmed, drops, dropReasons };
}

/**
 * One write window on sockets that are connected already: every receiver starts a new run (so
 * receipts of earlier windows are not counted), the writers write at `rate` for `durationMs`, and
 * the window's cost is read on the servers (CPU per process, store and Redis commands). Resolves
 * with the numbers of this window alone.
 */
/** @param {{ hooks?: { beforeWrites?: () => unknown, afterWrites?: () => unknown }, [key: string]: any }} opts */
export async function writePhase({ name, transport, receivers, usersByWorker, accounts, connected, devicesPerUser, rate, durationMs, hooks = {}, log }) {
  const run = randomBytes(4).toString('hex');
  const writers = await transport.writers();
  let writes;
  let window;
  let warmUp;
  let settleMs;
  let t0;
  try {
    // The measured window is the steady state at the rate: the writer process starts, opens its
    // connections and writes for WARM_UP_MS first, in a run of its own (its receipts are not
    // counted), and the servers settle after the warm-up and the connects before it starts.
    const warmMs = Math.min(WARM_UP_MS, durationMs);
    const warmRun = `${run}w`;
    await Promise.all(receivers.map((w) => w.call('begin', { run: warmRun })));
    const warmWrites = await writers.run({ run: warmRun, rate, durationMs: warmMs, accounts, receivers, usersByWorker });
    warmUp = { durationMs: warmMs, acked: warmWrites.reduce((a, w) => a + w.acked.length, 0) };
    settleMs = await transport.settle();
    await Promise.all(receivers.map((w) => w.call('begin', { run })));
    await sleep(500);
    await hooks.beforeWrites?.();
    const pids = { ...Object.fromEntries(receivers.map((w) => [w.label, w.pid])), ...writers.pids };
    const close = await transport.openWindow(pids);
    t0 = performance.now();
    log(`  writing ${rate}/s for ${durationMs / 1000} s (after ${warmMs / 1000} s of warm-up writes and ${(settleMs / 1000).toFixed(1)} s to settle)`);
    writes = await writers.run({ run, rate, durationMs, accounts, receivers, usersByWorker });
    window = await close();
  } finally {
    await writers.stop();
  }
  const writeMs = performance.now() - /** @type {number} */ (t0);
  await hooks.afterWrites?.();
  const acked = writes.reduce((a, w) => a + w.acked.length, 0);
  const drainMs = await drain(receivers, acked * devicesPerUser);
  const reports = await Promise.all(receivers.map((w) => w.call('report', {}, 120_000)));

  const deliveries = accountDeliveries(writes, reports);
  const latByChannel = {};
  for (const rep of reports) for (const [ch, list] of Object.entries(rep.latencies)) (latByChannel[ch] ??= []).push(...list);
  const all = Object.values(latByChannel).flat();
  // Latency by when the write was sent, in six slices of the run: does it grow as data piles up?
  const sends = [];
  for (const rep of reports) for (const [ch, list] of Object.entries(rep.sentAt)) list.forEach((t, i) => sends.push([t, rep.latencies[ch][i]]));
  const firstSend = sends.reduce((a, [t]) => Math.min(a, t), Infinity);
  const sliceUs = (durationMs * 1000) / 6;
  /** @type {number[][]} */
  const slices = Array.from({ length: 6 }, () => []);
  for (const [t, lat] of sends) slices[Math.min(5, Math.max(0, Math.floor((t - firstSend) / sliceUs)))].push(lat);
  const errors = {};
  for (const w of writes) for (const [code, n] of Object.entries(w.errors)) errors[code] = (errors[code] ?? 0) + n;
  const { cpuPercent, otherLoadPercent, ...perWrite } = perOperation(window, acked);
  const result = {
    name,
    peer: transport.kind,
    server: transport.label,
    sockets: connected,
    users: accounts.length,
    devicesPerUser,
    ratePerSec: rate,
    durationS: durationMs / 1000,
    writes: { offered: writes.reduce((a, w) => a + w.sent, 0), acked, errors, errorCount: Object.values(errors).reduce((a, n) => a + n, 0) },
    deliveries,
    latencyMs: summarize(all),
    latencyBySliceMs: slices.map((l, i) => ({ fromS: Number(((i * sliceUs) / 1e6).toFixed(1)), ...summarize(l) })),
    latencyByChannelMs: Object.fromEntries(Object.entries(latByChannel).map(([ch, l]) => [{ r: 'rest', g: 'graphql', s: 'socket', n: 'publish' }[ch] ?? ch, summarize(l)])),
    ackMs: summarize(writes.flatMap((w) => (Array.isArray(w.ackMs) ? w.ackMs : [...(w.ackMs.r ?? []), ...(w.ackMs.g ?? [])]))),
    generatorLagMs: Math.max(0, ...writes.map((w) => w.worstLagMs)),
    // The receiving processes' own event-loop delay in the run (worst of them): what they may add to a latency.
    receiverLoopDelayMs: { p99: Math.max(0, ...reports.map((r) => r.loopDelayMs?.p99 ?? 0)), max: Math.max(0, ...reports.map((r) => r.loopDelayMs?.max ?? 0)) },
    // How far the receivers' wall clock moved against their monotonic clock in the run (largest of them): not 0 means it was stepped.
    wallClockStepMs: reports.reduce((a, r) => (Math.abs(r.wallClockStepMs ?? 0) > Math.abs(a) ? r.wallClockStepMs : a), 0),
    // The backends' garbage-collection pauses in the write window (count, mean, share of their time).
    backendGc: window.gc ?? null,
    // How long each group's main threads waited for a CPU while runnable (share of the window,
    // mean per time scheduled), and the hypervisor's steal: the machine's own queueing.
    cpuWait: waitGroups(window),
    stealPercent: window.stealSeconds === undefined ? null : (100 * window.stealSeconds) / window.seconds,
    // Of the REST and GraphQL writes, the share slower than 10, 25 and 50 ms as the backends timed
    // them and as the writer did: is a slow write slow inside the backend or outside it?
    slowWrites: {
      rest: slowWrites(window.timed, '/api/todos', channelAcks(writes, 'r')),
      graphql: slowWrites(window.timed, '/graphql', channelAcks(writes, 'g')),
    },
    warmUp,
    settleMs,
    writeMs,
    drainMs,
    // CPU of every process in the write window, % of one core.
    cpuPercent,
    // Everything busy on the machine in that window, and the part no process of this scenario explains.
    machineBusyPercent: (100 * window.machineSeconds) / window.seconds,
    otherLoadPercent,
    // The window divided by acknowledged writes: CPU ms per process group, store and Redis commands.
    perWrite,
    staleReceipts: reports.reduce((a, r) => a + r.stale, 0),
  };
  const l = result.latencyMs;
  const cmds = perWrite.storeCommands ? `, ${perWrite.storeCommands.todoPath?.toFixed(2)} store commands/write` : '';
  const gc = result.backendGc ? `; backends' GC: ${describeGc(result.backendGc)}` : '';
  const w = result.cpuWait?.backends;
  const waits = w ? `; backends' loops waited for a CPU ${w.percent.toFixed(1)}% of the window, ${w.meanUs.toFixed(0)} µs per wake-up` : '';
  const slow = result.slowWrites.rest?.[1];
  const slowRest = slow ? `; REST writes over 25 ms: ${slow.backendPercent?.toFixed(1)}% as the backends timed them, ${slow.writerPercent.toFixed(1)}% as the writer did` : '';
  log(
    `  ${deliveries.received} deliveries: p50 ${l.p50?.toFixed(1)} ms, p99 ${l.p99?.toFixed(1)} ms, max ${l.max?.toFixed(1)} ms; lost ${deliveries.lost}, duplicated ${deliveries.duplicated}${deliveries.duplicated ? ` (${deliveries.duplicatedAsNew} of them taken as new by the SDK)` : ''}, errors ${result.writes.errorCount}${deliveries.drops ? `; sockets dropped ${deliveries.drops}: ${JSON.stringify(deliveries.dropReasons)}` : ''}${Math.abs(result.wallClockStepMs) >= 1000 ? `; the wall clock was stepped by ${(result.wallClockStepMs / 1000).toFixed(1)} s in the run` : ''}; receivers' event-loop delay p99 ${result.receiverLoopDelayMs.p99} ms, max ${result.receiverLoopDelayMs.max} ms; server CPU ${perWrite.cpuMs.server?.toFixed(2)} ms/write${cmds}${gc}${waits}${slowRest}`,
  );
  return result;
}

/** The writer's answer times of one channel ('r' REST, 'g' GraphQL; socket writers keep one list). */
const channelAcks = (writes, ch) => writes.flatMap((w) => (Array.isArray(w.ackMs) ? [] : (w.ackMs[ch] ?? [])));

/** The backends' GC pauses in one line: per kind, how many a second and their mean; the share of time paused. */
export function describeGc(gc) {
  const kinds = Object.entries(gc.byKind)
    .filter(([kind]) => kind === 'minor' || kind === 'major')
    .map(([kind, k]) => `${kind} ${k.perSecond.toFixed(1)}/s of ${k.meanMs.toFixed(1)} ms`);
  return `${kinds.join(', ') || 'none'}, ${gc.pausedPercent.toFixed(1)}% of their time paused`;
}

/**
 * Runs one fan-out scenario end to end and resolves with its numbers.
 * @param {{ name: string, transport: object, accounts: object[], devicesPerUser: number, rate: number,
 *   durationMs: number, workers: number, hooks?: { beforeWrites?: () => unknown, afterWrites?: () => unknown },
 *   log: (line: string) => void }} opts
 */
export async function runFanout({ name, transport, accounts, devicesPerUser, rate, durationMs, workers, hooks = {}, log }) {
  log(`fan-out ${name}: connecting ${accounts.length * devicesPerUser} ${transport.kind} sockets (${accounts.length} users x ${devicesPerUser}) from ${workers} processes`);
  const { receivers, usersByWorker, connect } = await connectDevices(transport, accounts, { devicesPerUser, workers });
  try {
    log(
      `  connected ${connect.connected}/${connect.requested} in ${(connect.elapsedMs / 1000).toFixed(1)} s ${JSON.stringify(connect.byInstance)}${connect.failed ? `, ${connect.failed} failed: ${connect.errors[0]}` : ''}`,
    );
    const phase = await writePhase({ name, transport, receivers, usersByWorker, accounts, connected: connect.connected, devicesPerUser, rate, durationMs, hooks, log });
    return { ...phase, connect };
  } finally {
    await Promise.all(receivers.map((w) => w.call('closeAll').catch(() => undefined)));
    await stopWorkers(receivers);
  }
}

/**
 * Why a ladder step shows the server did not keep up (so higher steps are not worth their time),
 * or null. `BENCH_LADDER_ALL=1` runs every step regardless.
 */
export function saturation(step, { p99Ms = Number(process.env.BENCH_LADDER_STOP_P99_MS ?? 2_000) } = {}) {
  if (process.env.BENCH_LADDER_ALL === '1') return null;
  const failed = step.writes.errorCount / Math.max(1, step.writes.offered);
  if (step.writes.acked === 0) return 'no write was acknowledged';
  if (failed > 0.05) return `${(100 * failed).toFixed(0)}% of the writes failed`;
  if ((step.latencyMs.p99 ?? Infinity) > p99Ms) return `p99 was ${(step.latencyMs.p99 / 1000).toFixed(1)} s`;
  return null;
}

/**
 * The capacity ladder: the sockets connect once, then each rate of `steps` writes for `stepMs` on
 * them, after `between()` (a short quiet wait). Once a step shows the server saturated, the higher
 * steps are recorded as not run, with the reason.
 */
export async function runLadder({ name, transport, accounts, devicesPerUser, workers, steps, stepMs, between, log }) {
  log(`ladder ${name} (${transport.label}): connecting ${accounts.length * devicesPerUser} sockets once, then ${steps.join(', ')} writes/s for ${stepMs / 1000} s each`);
  const { receivers, usersByWorker, connect } = await connectDevices(transport, accounts, { devicesPerUser, workers });
  /** @type {{ steps: object[], [key: string]: unknown }} */
  const out = { name, peer: transport.kind, server: transport.label, sockets: connect.connected, users: accounts.length, devicesPerUser, stepS: stepMs / 1000, connect, steps: [] };
  try {
    log(
      `  connected ${connect.connected}/${connect.requested} in ${(connect.elapsedMs / 1000).toFixed(1)} s ${JSON.stringify(connect.byInstance)}${connect.failed ? `, ${connect.failed} failed: ${connect.errors[0]}` : ''}`,
    );
    let skip = null;
    for (const rate of steps) {
      if (skip) {
        out.steps.push({ ratePerSec: rate, skipped: skip });
        continue;
      }
      const quietWaitMs = (await between?.()) ?? 0;
      const step = await writePhase({
        name: `${name} @ ${rate}/s`,
        transport,
        receivers,
        usersByWorker,
        accounts,
        connected: connect.connected,
        devicesPerUser,
        rate,
        durationMs: stepMs,
        log,
      });
      const { latencyBySliceMs, ...kept } = step;
      out.steps.push({ ...kept, quietWaitMs });
      const why = saturation(step);
      if (why) {
        skip = `at ${rate}/s ${why}`;
        log(`  saturated at ${rate}/s (${why}): higher steps not run`);
      }
    }
    return out;
  } finally {
    await Promise.all(receivers.map((w) => w.call('closeAll').catch(() => undefined)));
    await stopWorkers(receivers);
  }
}
