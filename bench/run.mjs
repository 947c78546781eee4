#!/usr/bin/env node
// `npm run bench`: Cobalt's performance harness (docs/PERFORMANCE.md explains the method).
//
//   node bench/run.mjs [--quick] [--only startup,fanout,http,idle,store,peer,before] [--no-setup] [--no-peer]
//   node bench/run.mjs --report     (tables, summary and docs again from bench/results/latest.json)
//   env: BENCH_QUICK=1, BENCH_ONLY=..., BENCH_SETUP=0, BENCH_PEER=0, BENCH_PORT_OFFSET=N
//
// It starts its own cluster (scripts/cluster.mjs, private ports, data dir .data/bench), generates
// load from child processes on loopback only, bounded in count and time, prints the tables and
// writes bench/results/latest.json. A full run also refreshes bench/summary.json and the results
// block of docs/PERFORMANCE.md.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT, setup } from '../scripts/setup.mjs';
import { createAccounts, seedTodos } from './lib/accounts.mjs';
import { benchPorts, loadMeter, machineBusySeconds, startBenchCluster, waitQuiet } from './lib/cluster.mjs';
import { sleep } from './lib/serve.mjs';
import { ensureNatsServer, NATS_VERSION, natsPorts, startNats } from './lib/peer.mjs';
import { openFilesLimit, reexecWithMoreFiles, WANT_OPEN_FILES } from './lib/limits.mjs';
import { evaluateTargets, peerRatios, renderTables, updateDoc } from './lib/report.mjs';
import { GRAPHQL_PAGE, postgresReadsPerRequest, runHttp } from './scenarios/http.mjs';
import { cobaltTransport, natsTransport, runFanout } from './scenarios/fanout.mjs';
import { cobaltServers, natsServers, runIdle } from './scenarios/idle.mjs';
import { runStore, startFerretOnSqlite } from './scenarios/store.mjs';
import { collectionSizes, resetTodoData, storeProbePort } from './lib/store.mjs';

/** Sizes of each scenario. Quick mode is a minute-long check that everything works. */
const PLANS = {
  full: {
    fanout: [
      { name: '300 sockets @ 100/s', users: 100, devices: 3, rate: 100, durationS: 20, workers: 2 },
      { name: '3,000 sockets @ 200/s', users: 1000, devices: 3, rate: 200, durationS: 30, workers: 4 },
    ],
    idle: { sockets: 10_000, workers: 5, idleS: 30 },
    http: { connections: 10, halfS: 5, warmupS: 2, graphqlPages: 100 },
    store: { sizes: [0, 2_000, 10_000] },
  },
  quick: {
    fanout: [{ name: '30 sockets @ 20/s', users: 10, devices: 3, rate: 20, durationS: 5, workers: 2 }],
    idle: { sockets: 600, workers: 2, idleS: 5 },
    http: { connections: 10, halfS: 2, warmupS: 1, graphqlPages: 20 },
    store: { sizes: [0, 1_000] },
  },
};
const ALL_PARTS = ['startup', 'fanout', 'http', 'idle', 'store', 'peer', 'before'];

function parseOptions(argv, env) {
  const flag = (name) => argv.includes(name);
  const value = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = flag('--quick') || env.BENCH_QUICK === '1';
  const only = (value('--only') ?? env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of only) if (!ALL_PARTS.includes(p)) throw new Error(`unknown part "${p}" (parts: ${ALL_PARTS.join(', ')})`);
  const parts = new Set(only.length ? only : ALL_PARTS);
  if (flag('--no-peer') || env.BENCH_PEER === '0') parts.delete('peer');
  return { quick, parts, setup: !(flag('--no-setup') || env.BENCH_SETUP === '0') };
}

const log = (line) => console.log(line);

async function machineBusyPercent(ms) {
  const before = machineBusySeconds();
  await sleep(ms);
  return (100 * (machineBusySeconds() - before)) / (ms / 1000);
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    openFiles: openFilesLimit(),
    loadAvg: os.loadavg().map((v) => Number(v.toFixed(2))),
  };
}

async function main() {
  const options = parseOptions(process.argv.slice(2), process.env);
  const plan = options.quick ? PLANS.quick : PLANS.full;
  const mode = options.quick ? 'quick' : 'full';
  const startedAt = new Date();
  const result = { version: 1, mode, startedAt: startedAt.toISOString(), machineAtStart: machineInfo(), parts: [...options.parts], fanout: [], idle: {} };
  const dataDir = join(ROOT, '.data', 'bench');
  log(`bench (${mode}): ${[...options.parts].join(', ')}; load average ${result.machineAtStart.loadAvg.join(' ')} on ${result.machineAtStart.cpus} cores`);
  if (result.machineAtStart.openFiles < WANT_OPEN_FILES) log(`note: open files limited to ${result.machineAtStart.openFiles} per process (raising it was refused); the idle scenario is sized to fit`);

  // The machines are shared: before anything starts, all load is someone else's. Give it a
  // bounded chance to calm down, and record what it was.
  const waitLimitS = Number(process.env.BENCH_WAIT_QUIET_S ?? (options.quick ? 0 : 180));
  const waitStarted = performance.now();
  let busy = await machineBusyPercent(3_000);
  while (busy > 50 && (performance.now() - waitStarted) / 1000 < waitLimitS) {
    log(`machine busy with other work (${busy.toFixed(0)}% of a core); waiting`);
    await sleep(5_000);
    busy = await machineBusyPercent(3_000);
  }
  result.otherLoadBeforeStart = { percent: busy, waitedS: Math.round((performance.now() - waitStarted) / 1000) };
  log(`other work on the machine before start: ${busy.toFixed(0)}% of a core`);

  let setupMs = null;
  if (options.setup) {
    const t = performance.now();
    await setup({ log: (line) => log(`  ${line}`) });
    setupMs = performance.now() - t;
  }

  let cluster = null;
  let peer = null;
  let whatIfStore = null;
  const cleanup = async () => {
    await peer?.stop().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    await whatIfStore?.stop().catch(() => undefined);
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      log(`\n${sig}: stopping the bench cluster`);
      cleanup().finally(() => process.exit(130));
    });
  }

  try {
    // 4. Start to ready: cold (empty data dir), then warm (same data dir again); the warm cluster serves the rest.
    const ports = benchPorts();
    rmSync(dataDir, { recursive: true, force: true });
    log(`cluster: cold start in ${dataDir} (Caddy :${ports.http}, backends :${ports.backends.join(',')})`);
    cluster = await startBenchCluster({ dataDir, ports, log: () => undefined });
    const coldMs = cluster.startedInMs;
    let warmMs = null;
    let stopMs = null;
    if (options.parts.has('startup')) {
      const t = performance.now();
      await cluster.stop();
      stopMs = performance.now() - t;
      cluster = null;
      cluster = await startBenchCluster({ dataDir, ports, log: () => undefined });
      warmMs = cluster.startedInMs;
    }
    result.startup = { setupMs, coldMs, warmMs, stopMs, mongo: cluster.mongoKind };
    log(`  cold ${(coldMs / 1000).toFixed(1)} s${warmMs !== null ? `, warm ${(warmMs / 1000).toFixed(1)} s` : ''}`);

    // Accounts for every scenario: U users, three devices (sessions) each.
    const usersNeeded = Math.max(...plan.fanout.map((f) => f.users), Math.ceil(plan.idle.sockets / 10), 20);
    const label = `b${Date.now().toString(36)}`;
    log(`accounts: ${usersNeeded} users x 3 devices`);
    const made = await createAccounts(cluster.urls.public, { users: usersNeeded, devices: 3, label, concurrency: 16 });
    const accounts = made.accounts;
    result.accounts = { users: accounts.length, devices: 3, registerPerSec: made.registerPerSec, loginPerSec: made.loginPerSec, elapsedMs: made.elapsedMs };
    log(`  ${(made.elapsedMs / 1000).toFixed(1)} s (register ${made.registerPerSec.toFixed(0)}/s, sign-in ${made.loginPerSec?.toFixed(0)}/s)`);

    if (options.parts.has('peer')) {
      const built = ensureNatsServer({ log });
      if (built.error) result.peer = { name: `nats-server ${NATS_VERSION}`, error: built.error };
      else {
        peer = await startNats({ bin: built.bin, dataDir: join(dataDir, 'peer'), ports: natsPorts() });
        result.peer = { name: `nats-server ${NATS_VERSION} (WebSocket, one process)`, startedInMs: peer.startedInMs };
      }
    }

    // The store alone, while the cluster is quiet: query cost against collection size.
    if (options.parts.has('store')) {
      result.store = await runStore({ cluster, dataDir, sizes: plan.store.sizes, port: storeProbePort(), log }).catch((error) => ({ error: error.message }));
      if (result.store.error) log(`  store probe failed: ${result.store.error}`);
    }

    // Each Cobalt scenario starts from empty todo collections and a quiet cluster.
    // The store the backends use (the what-if points them elsewhere).
    const mongoUrl = () => cluster.backendEnv.MONGO_URL;
    const storePids = () => (whatIfStore ? { 'store-sqlite': whatIfStore.pid } : {});
    const fresh = async () => {
      const waitedMs = await waitQuiet(cluster);
      await resetTodoData(mongoUrl());
      return waitedMs;
    };
    const fanoutOn = async (transport, variant) => {
      for (const f of plan.fanout) {
        const spec = { name: f.name, accounts: accounts.slice(0, f.users), devicesPerUser: f.devices, rate: f.rate, durationMs: f.durationS * 1000, workers: f.workers, log };
        const quietWaitMs = await fresh();
        const fan = await runFanout({ ...spec, transport });
        result.fanout.push({ ...fan, variant, quietWaitMs, storeAtEnd: await collectionSizes(mongoUrl()) });
        if (peer && variant === 'default') {
          await waitQuiet(cluster);
          result.fanout.push(await runFanout({ ...spec, transport: natsTransport(peer) }));
        }
      }
    };
    const httpOn = async () => {
      await fresh();
      const reader = await createAccounts(cluster.urls.public, { users: 1, devices: 1, label: `${label}-reader-${Date.now().toString(36)}` });
      const readerToken = reader.accounts[0].tokens[0];
      await seedTodos(cluster.urls.public, readerToken, 40);
      const h = plan.http;
      const results = await runHttp({
        targets: { caddy: cluster.urls.public, direct: cluster.urls.backends[0] },
        reader: readerToken,
        writers: accounts.slice(0, 20).map((a) => a.tokens[0]),
        connections: h.connections,
        halfS: h.halfS,
        warmupS: h.warmupS,
        meter: (pids) => loadMeter(cluster, { ...pids, ...storePids() }),
        log,
      });
      log(`  counting Postgres reads of ${h.graphqlPages} GraphQL pages`);
      const page = () =>
        fetch(`${cluster.urls.backends[0]}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${readerToken}` },
          body: JSON.stringify({ query: GRAPHQL_PAGE }),
        }).then((r) => r.text());
      const reads = await postgresReadsPerRequest(cluster.urls.postgres, page, { count: h.graphqlPages }).catch((error) => ({ error: error.message }));
      return { connections: h.connections, secondsPerTarget: h.halfS * 2, results, postgresReadsPerGraphqlPage: reads.error ? undefined : reads, postgresReadsError: reads.error };
    };

    // 1. Fan-out, each size on Cobalt then on the peer.
    if (options.parts.has('fanout')) await fanoutOn(cobaltTransport(cluster), 'default');

    // 3. HTTP, through Caddy and direct, interleaved.
    if (options.parts.has('http')) result.http = await httpOn();

    // 2. Idle capacity (last on this cluster: it restarts backends), then the peer.
    if (options.parts.has('idle')) {
      await fresh();
      const limit = openFilesLimit();
      // Caddy holds two descriptors per socket (client and upstream), under the same limit.
      const budget = Math.floor((limit - 1000) / 2 / 100) * 100;
      const sockets = Math.min(plan.idle.sockets, budget);
      if (sockets < plan.idle.sockets) log(`idle: ${sockets} sockets, not ${plan.idle.sockets}: the open-files limit here is ${limit} per process and cannot be raised`);
      result.idleLimit = sockets < plan.idle.sockets ? { wanted: plan.idle.sockets, measured: sockets, openFilesLimit: limit } : undefined;
      const idle = { sockets, workers: plan.idle.workers, idleMs: plan.idle.idleS * 1000, accounts, log };
      result.idle.cobalt = await runIdle({ ...idle, name: 'cobalt', transport: cobaltTransport(cluster), servers: cobaltServers(cluster) }).catch((error) => ({ peer: 'cobalt', error: error.message }));
      if (peer) await waitQuiet(cluster);
      if (peer) result.idle.nats = await runIdle({ ...idle, name: 'peer', transport: natsTransport(peer), servers: natsServers(peer) }).catch((error) => ({ peer: 'nats', error: error.message }));
      for (const [k, v] of Object.entries(result.idle)) if (v.error) log(`  idle ${k} failed: ${v.error}`);
    }

    // Before and after: the same cluster (same accounts) restarted with its backends on the store
    // it had before, FerretDB over SQLite (no filter pushdown), and the store-bound scenarios again.
    if (options.parts.has('before') && cluster.mongoKind === 'ferretdb' && (options.parts.has('fanout') || options.parts.has('http'))) {
      log('before: restarting the cluster with its backends on FerretDB over SQLite');
      await cluster.stop();
      cluster = null;
      whatIfStore = await startFerretOnSqlite({ port: storeProbePort(), dataDir });
      cluster = await startBenchCluster({ dataDir, ports, env: { MONGO_URL: `mongodb://127.0.0.1:${storeProbePort()}/cobalt` }, log: () => undefined });
      result.whatIf = { store: 'FerretDB on SQLite (before)' };
      // The old store may not keep up at all (timeouts): what it did is recorded, the run goes on.
      try {
        if (options.parts.has('fanout')) await fanoutOn(cobaltTransport(cluster, { label: 'cobalt, store on SQLite (before)', extraPids: storePids() }), 'store-sqlite');
        if (options.parts.has('http')) result.whatIf.http = await httpOn();
      } catch (error) {
        result.whatIf.error = error instanceof Error ? error.message : String(error);
        log(`  before: stopped early: ${result.whatIf.error}`);
      }
    }
  } finally {
    await cleanup();
  }

  result.finishedAt = new Date().toISOString();
  result.durationS = (Date.now() - startedAt.getTime()) / 1000;
  result.machineAtEnd = machineInfo();
  if (result.peer && !result.peer.error) result.peer.ratios = peerRatios(result);
  result.idle = Object.fromEntries(Object.entries(result.idle).filter(([, v]) => !v.error));
  publish(result);
}

/**
 * Prints the tables and writes bench/results/latest.{json,md}; a complete full run also
 * refreshes bench/summary.json and the results block of docs/PERFORMANCE.md.
 */
function publish(result) {
  result.targets = evaluateTargets(result);
  const tables = renderTables(result);
  const notes = [
    `Run ${result.startedAt} (${result.mode}, ${result.durationS.toFixed(0)} s) on ${result.machineAtStart.cpus} cores (${result.machineAtStart.cpuModel}), Node ${result.machineAtStart.node}, store ${result.startup?.mongo ?? '?'}.`,
    `Shared machine: other work used ${result.otherLoadBeforeStart.percent.toFixed(0)}% of a core just before the start (after waiting ${result.otherLoadBeforeStart.waitedS} s); load average ${result.machineAtStart.loadAvg.join(' ')} at start, ${result.machineAtEnd.loadAvg.join(' ')} at end. The "other load" columns show it per measurement.`,
  ].join('\n');
  console.log(`\n${tables}\n\n${notes}`);

  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.md'), `${tables}\n\n${notes}\n`);
  if (result.mode === 'full' && result.parts.length === ALL_PARTS.length) {
    const rounded = (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(2)) : v);
    writeFileSync(join(ROOT, 'bench', 'summary.json'), `${JSON.stringify(summaryOf(result), rounded, 2)}\n`);
    updateDoc(join(ROOT, 'docs', 'PERFORMANCE.md'), `${tables}\n\n${notes}`);
    log('\nwrote bench/results/latest.json, bench/summary.json and the results in docs/PERFORMANCE.md');
  } else log('\nwrote bench/results/latest.json');
}

/** The committed summary: the numbers behind the docs' tables, without per-process detail. */
function summaryOf(r) {
  return {
    startedAt: r.startedAt,
    durationS: Math.round(r.durationS),
    machine: r.machineAtStart,
    loadAvgAtEnd: r.machineAtEnd.loadAvg,
    startup: r.startup,
    accounts: r.accounts,
    fanout: r.fanout.map(({ connect, cpuPercent, ...f }) => ({ ...f, connect: { connected: connect.connected, failed: connect.failed, byInstance: connect.byInstance, perSec: connect.perSec }, cpuPercent })),
    idle: r.idle,
    http: r.http,
    peer: r.peer,
    targets: r.targets,
  };
}

// `--report`: render the tables (and for a full run, the summary and docs) again from the last
// run's bench/results/latest.json, without running anything.
if (process.argv.includes('--report')) publish(JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'latest.json'), 'utf8')));
else if (!reexecWithMoreFiles(import.meta.url)) {
  main().catch((error) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack : error}`);
    process.exit(1);
  });
}
