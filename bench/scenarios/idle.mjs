// Scenario 2, connection capacity: N idle authenticated sockets. Server RSS per socket (before
// and after, from each backend's /metrics), CPU while idle, connect rate, and how long it takes
// every socket to be connected again after one server restarts.
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuDelta, loadMeter, processTree, sampleProcesses, scrapeBackends } from '../lib/cluster.mjs';
import { cpuGroups } from '../lib/counters.mjs';
import { inspectService } from '../lib/profiles.mjs';
import { stopWorkers } from '../lib/workers.mjs';
import { connectDevices } from './fanout.mjs';

/** Cobalt's servers as the idle scenario sees them: three backends, measured through /metrics. */
export function cobaltServers(cluster) {
  return {
    cluster,
    async measure() {
      const byInstance = await scrapeBackends(cluster);
      const sum = (k) => Object.values(byInstance).reduce((a, m) => a + m[k], 0);
      return { rssBytes: sum('rssBytes'), cpuSeconds: sum('cpuSeconds'), heapUsedBytes: sum('heapUsedBytes'), externalBytes: sum('externalBytes'), byInstance };
    },
    others: () => sampleProcesses(cluster),
    /**
     * A full GC in every backend (through its inspector), so a memory reading that follows is of
     * what is live, not of garbage the last burst of work left: both sides of RSS per socket are
     * then in the same state.
     */
    async collectGarbage() {
      for (const service of cluster.services().filter((s) => s.name.startsWith('backend-') && s.exit === null)) {
        const inspector = await inspectService(cluster, service.name);
        try {
          await inspector.send('HeapProfiler.collectGarbage');
        } finally {
          inspector.close();
        }
      }
      await sleep(1_000);
    },
    /** The backends' CPU seconds from /proc (no request to them). */
    cpuSeconds: () =>
      Object.entries(sampleProcesses(cluster))
        .filter(([name]) => name.startsWith('backend-'))
        .reduce((a, [, p]) => a + p.cpuSeconds, 0),
    restartTarget: 'backend-1',
    async restart(name = 'backend-1') {
      if (typeof cluster.restart !== 'function') throw new Error('scripts/cluster.mjs has no restart(name) helper');
      const r = await cluster.restart(name);
      return { stoppedInMs: r.exitedInMs, readyInMs: r.readyInMs };
    },
    /** Fresh processes, so the baseline holds no heap left over from earlier scenarios. */
    async restartAll() {
      for (let i = 1; i <= cluster.urls.backends.length; i++) await this.restart(`backend-${i}`);
    },
  };
}

/** The peer's one server process, measured from /proc. */
export function natsServers(peer) {
  return {
    async measure() {
      const p = processTree(peer.pid());
      return { rssBytes: p.rssBytes, cpuSeconds: p.cpuSeconds, byInstance: { nats: p } };
    },
    others: () => ({}),
    cluster: null,
    pids: () => ({ 'nats-server': peer.pid() }),
    restartTarget: 'nats-server',
    restart: () => peer.restart(),
    restartAll: () => peer.restart(),
  };
}

function watchCounts(receivers) {
  const latest = new Map();
  const listeners = new Set();
  const offs = receivers.map((w) =>
    w.onEvent((event, data) => {
      if (event !== 'counts') return;
      latest.set(w.label, data);
      // A total only once every worker has reported: a partial sum would look like a drop.
      if (latest.size < receivers.length) return;
      const total = [...latest.values()].reduce((a, c) => a + c.connected, 0);
      for (const fn of listeners) fn(total);
    }),
  );
  return {
    onTotal: (fn) => listeners.add(fn),
    stop: () => offs.forEach((off) => off()),
  };
}

/**
 * @param {{ name: string, transport: object, servers: object, accounts: object[], sockets: number,
 *   workers: number, idleMs: number, settleMs?: number, baselineMs?: number, reconnectTimeoutMs?: number, log: Function }} opts
 */
export async function runIdle({ name, transport, servers, accounts, sockets, workers, idleMs, settleMs = 5_000, baselineMs = 15_000, reconnectTimeoutMs = 120_000, log }) {
  const perUser = Math.ceil(sockets / accounts.length);
  const users = accounts.slice(0, Math.ceil(sockets / perUser));
  log(`idle ${name}: ${users.length * perUser} ${transport.kind} sockets (${users.length} users x ${perUser}) from ${workers} processes`);
  await servers.restartAll();
  await sleep(settleMs);
  // The same servers with no socket at all (scrapes, health checks, heartbeats to the stores): the
  // part of the idle CPU that the sockets do not cause.
  const empty = await servers.measure();
  const emptyOthers = servers.others();
  await sleep(baselineMs);
  const baselineEnd = await servers.measure();
  const emptyOthersCpu = cpuDelta(emptyOthers, servers.others());
  await servers.collectGarbage?.();
  const before = await servers.measure();
  const noSockets = {
    seconds: baselineMs / 1000,
    cpuPercent: (100 * (baselineEnd.cpuSeconds - empty.cpuSeconds)) / (baselineMs / 1000),
    caddyCpuPercent: emptyOthersCpu.caddy === undefined ? null : (100 * emptyOthersCpu.caddy) / (baselineMs / 1000),
  };
  const { receivers, connect } = await connectDevices(transport, users, { devicesPerUser: perUser, workers, reconnection: true, concurrency: 25 });
  try {
    log(
      `  connected ${connect.connected}/${connect.requested} in ${(connect.elapsedMs / 1000).toFixed(1)} s (${Math.round(connect.perSec)}/s) ${JSON.stringify(connect.byInstance)}${connect.failed ? `, ${connect.failed} failed: ${connect.errors[0]}` : ''}`,
    );
    await sleep(settleMs);
    const after = await servers.measure();
    const othersBefore = servers.others();
    const stopMeter = loadMeter(servers.cluster, { ...Object.fromEntries(receivers.map((w) => [w.label, w.pid])), ...servers.pids?.() });
    // CPU every 5 s of the window, to show whether the idle cost is steady or still settling. Read
    // from /proc where the servers allow it: scraping /metrics that often would itself add CPU.
    const series = [];
    const cpuNow = async () => (servers.cpuSeconds ? servers.cpuSeconds() : (await servers.measure()).cpuSeconds);
    let mark = await cpuNow();
    for (let t = 0; t < idleMs; t += 5_000) {
      const stepMs = Math.min(5_000, idleMs - t);
      await sleep(stepMs);
      const now = await cpuNow();
      series.push({ atS: (t + stepMs) / 1000, cpuPercent: (100 * (now - mark)) / (stepMs / 1000) });
      mark = now;
    }
    const idleEnd = await servers.measure();
    // Memory in the same state as before the sockets (after a full GC), once the idle window is over
    // (a GC inside it would be counted as idle CPU). Where no GC can be asked for, the window's end.
    let settled = idleEnd;
    if (servers.collectGarbage) {
      await servers.collectGarbage();
      settled = await servers.measure();
    }
    const othersCpu = cpuDelta(othersBefore, servers.others());
    const load = stopMeter();
    const n = connect.connected;
    const result = {
      name,
      peer: transport.kind,
      server: transport.label,
      sockets: n,
      requested: connect.requested,
      failed: connect.failed,
      errors: connect.errors,
      users: users.length,
      socketsPerUser: perUser,
      byInstance: connect.byInstance,
      connectSeconds: connect.elapsedMs / 1000,
      connectPerSec: connect.perSec,
      handshakeMs: connect.handshakeMs,
      rssBeforeBytes: before.rssBytes,
      rssAfterBytes: settled.rssBytes,
      memoryAfterGc: settled !== idleEnd,
      rssPerSocketBytes: n ? (settled.rssBytes - before.rssBytes) / n : null,
      heapPerSocketBytes: n && settled.heapUsedBytes !== undefined ? (settled.heapUsedBytes - before.heapUsedBytes) / n : null,
      externalPerSocketBytes: n && settled.externalBytes !== undefined ? (settled.externalBytes - before.externalBytes) / n : null,
      rssPerSocketAfterConnectBytes: n ? (after.rssBytes - before.rssBytes) / n : null,
      rssByInstance: Object.fromEntries(Object.entries(settled.byInstance).map(([k, m]) => [k, { before: before.byInstance[k]?.rssBytes, after: m.rssBytes }])),
      idleSeconds: idleMs / 1000,
      idleCpuPercent: (100 * (idleEnd.cpuSeconds - after.cpuSeconds)) / (idleMs / 1000),
      idleSeries: series,
      noSockets,
      rssPerSocketAtEndBytes: n ? (idleEnd.rssBytes - before.rssBytes) / n : null,
      otherLoadPercent: load.othersPercent,
      idleCpuPercentOtherServices: Object.fromEntries(
        Object.entries(othersCpu)
          .filter(([k]) => !k.startsWith('backend-'))
          .map(([k, s]) => [k, (100 * s) / (idleMs / 1000)]),
      ),
    };
    log(
      `  RSS ${((settled.rssBytes - before.rssBytes) / 1024 ** 2).toFixed(0)} MB for ${n} sockets = ${((result.rssPerSocketBytes ?? 0) / 1024).toFixed(1)} KB each${result.memoryAfterGc ? ' (both readings after a full GC)' : ''}; idle CPU ${result.idleCpuPercent.toFixed(1)}% of a core (by 5 s: ${series.map((x) => x.cpuPercent.toFixed(1)).join(', ')}); RSS per socket 5 s after the connects ${((result.rssPerSocketAfterConnectBytes ?? 0) / 1024).toFixed(1)} KB, at the end of the window ${((result.rssPerSocketAtEndBytes ?? 0) / 1024).toFixed(1)} KB (no GC); with no sockets ${noSockets.cpuPercent.toFixed(1)}% (Caddy ${noSockets.caddyCpuPercent?.toFixed(1) ?? '-'}%)`,
    );

    // Restart one server; time until every socket is connected again.
    await Promise.all(receivers.map((w) => w.call('reconnectFailures').catch(() => null)));
    const restartAt = Date.now();
    const watcher = watchCounts(receivers);
    await Promise.all(receivers.map((w) => w.call('watch', { intervalMs: 50 })));
    let dropped = false;
    let minConnected = n;
    let allBackMs = null;
    // Sockets connected at each whole second after the restart began: a steady climb is a
    // handshake rate, steps are clients waiting out their reconnection delays.
    /** @type {number[]} */
    const bySecond = [];
    const t0 = performance.now();
    const back = new Promise((/** @type {(value?: unknown) => void} */ resolve) => {
      watcher.onTotal((total) => {
        if (total < n) dropped = true;
        minConnected = Math.min(minConnected, total);
        const second = Math.floor((performance.now() - t0) / 1000);
        while (bySecond.length <= second) bySecond.push(bySecond.at(-1) ?? n);
        bySecond[second] = total;
        if (dropped && total >= n && allBackMs === null) {
          allBackMs = performance.now() - t0;
          resolve();
        }
      });
    });
    // CPU of every process from the restart until all are back (the restarted server itself not
    // counted: it is a process that ends and another that starts): is the way back CPU-bound, and whose?
    const loadPids = Object.fromEntries(receivers.map((w) => [w.label, w.pid]));
    const meterBack = loadMeter(servers.cluster, { ...loadPids, ...servers.pids?.() });
    log(`  restarting ${servers.restartTarget}`);
    const restart = await servers.restart();
    let giveUp;
    await Promise.race([back, new Promise((resolve) => (giveUp = setTimeout(resolve, reconnectTimeoutMs)))]);
    clearTimeout(giveUp);
    const { machinePercent, byProcess } = meterBack();
    delete byProcess[servers.restartTarget];
    const round = (percent) => Number(percent.toFixed(1));
    /** @type {Record<string, number>} */
    const cpuWhileBack = { machine: round(machinePercent) };
    // Groups of percentages, as of seconds: the same sums over one window.
    for (const [k, v] of Object.entries(cpuGroups({ cpuSeconds: byProcess, loadNames: Object.keys(loadPids) }))) cpuWhileBack[k] = round(v);
    await Promise.all(receivers.map((w) => w.call('unwatch')));
    watcher.stop();
    const finalCounts = await Promise.all(receivers.map((w) => w.call('counts')));
    const dropsByOrigin = {};
    for (const d of await Promise.all(receivers.map((w) => w.call('drops')))) for (const [k, v] of Object.entries(d)) dropsByOrigin[k] = (dropsByOrigin[k] ?? 0) + v;
    const reconnected = finalCounts.reduce((a, c) => a + c.connected, 0);
    // Reconnect attempts that failed meanwhile, by reason, and when the last of each was (s after the restart began).
    /** @type {Record<string, { count: number, lastAtS: number }>} */
    const failedAttempts = {};
    for (const f of await Promise.all(receivers.map((w) => w.call('reconnectFailures').catch(() => ({})))))
      for (const [reason, { count, lastAtMs }] of Object.entries(f ?? {})) {
        const seen = failedAttempts[reason] ?? { count: 0, lastAtS: 0 };
        failedAttempts[reason] = { count: seen.count + count, lastAtS: Math.max(seen.lastAtS, Number(((lastAtMs - restartAt) / 1000).toFixed(1))) };
      }
    const byInstanceAfter = {};
    for (const c of finalCounts) for (const [k, v] of Object.entries(c.byInstance)) byInstanceAfter[k] = (byInstanceAfter[k] ?? 0) + v;
    result.restart = {
      target: servers.restartTarget,
      ...restart,
      socketsDropped: n - minConnected,
      reconnected,
      allReconnectedMs: allBackMs,
      connectedBySecond: bySecond,
      cpuPercentWhileBack: cpuWhileBack,
      byInstanceAfter,
      dropsByOrigin,
      failedAttempts,
    };
    log(
      `  ${n - minConnected} sockets down at once (drops by first instance: ${JSON.stringify(dropsByOrigin)}); ${reconnected}/${n} connected again${allBackMs !== null ? ` after ${(allBackMs / 1000).toFixed(1)} s` : ' (not all within the time limit)'}; connected at each second: ${bySecond.join(', ')}; CPU meanwhile, % of one core: machine ${cpuWhileBack.machine}, load generators ${cpuWhileBack.load}, servers (${servers.restartTarget} not counted) ${cpuWhileBack.server}; reconnects that failed: ${JSON.stringify(failedAttempts)}`,
    );
    return result;
  } finally {
    await Promise.all(receivers.map((w) => w.call('closeAll').catch(() => undefined)));
    await stopWorkers(receivers);
  }
}
