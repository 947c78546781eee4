#!/usr/bin/env node
// `npm run bench`: Cobalt's performance harness (docs/PERFORMANCE.md explains the method).
//
//   node bench/run.mjs [--quick] [--only startup,fanout,ladder,http,flat,idle,floor,peer] [--before <git-ref>] [--no-setup] [--no-peer]
//                      [--backend-env NAME=value,...] [--node-args "--flag ..."]
//   node bench/run.mjs --report     (tables, summary and docs again from bench/results/latest.json)
//   env: BENCH_QUICK=1, BENCH_ONLY=..., BENCH_BEFORE=<git-ref>, BENCH_SETUP=0, BENCH_PEER=0, BENCH_PORT_OFFSET=N,
//        BENCH_LADDER_ALL=1 (every ladder step, even past saturation)
//
// It starts its own cluster (scripts/cluster.mjs, private ports, data dir .data/bench), generates
// load from child processes on loopback only, bounded in count and time, prints the tables and
// writes bench/results/latest.json. A full run of every part also refreshes bench/summary.json
// and the results block of docs/PERFORMANCE.md. `--before <ref>` builds that commit in a git
// worktree (.data/bench/before-src) and runs the fan-out, ladder, HTTP and flat-cost scenarios on
// it too, in the same run, on the same cluster setup: every table then has a row per build.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../scripts/lib/root.mjs';
import { setup } from '../scripts/setup/install.mjs';
import { createAccounts, firstWrites, seedTodos } from './lib/accounts.mjs';
import { prepareBeforeBuild } from './lib/before.mjs';
import { benchPorts, machineBusySeconds, startBenchCluster, startSingleUpstreamCaddy, waitQuiet } from './lib/cluster.mjs';
import { openWindow } from './lib/counters.mjs';
import { ensureNatsServer, NATS_VERSION, natsPorts, startNats } from './lib/peer.mjs';
import { openFilesLimit, reexecWithMoreFiles, WANT_OPEN_FILES } from './lib/limits.mjs';
import { evaluateTargets, peerRatios, renderTables, updateDoc } from './lib/report.mjs';
import { GRAPHQL_PAGE, postgresReadsPerRequest, runHttp } from './scenarios/http.mjs';
import { cobaltTransport, natsTransport, runFanout, runLadder } from './scenarios/fanout.mjs';
import { cobaltServers, natsServers, runIdle } from './scenarios/idle.mjs';
import { runFlat } from './scenarios/flat.mjs';
import { runFloor } from './scenarios/floor.mjs';
import { collectionSizes, resetTodoData } from './lib/store.mjs';

/** Sizes of each scenario. Quick mode is a few minutes' check that everything works. */
const PLANS = {
  full: {
    fanout: [
      { name: '300 sockets @ 100/s', users: 100, devices: 3, rate: 100, durationS: 20, workers: 2 },
      { name: '3,000 sockets @ 200/s', users: 1000, devices: 3, rate: 200, durationS: 30, workers: 4 },
    ],
    ladder: { name: '3,000 sockets', users: 1000, devices: 3, workers: 4, steps: [100, 200, 300, 400, 800], stepS: 15 },
    idle: { sockets: 10_000, workers: 5, idleS: 30 },
    http: { connections: 10, halfS: 5, warmupS: 2, graphqlPages: 100 },
    // Seeding budget per user: the working tree's build seeds 10,000 todos in about 1.5 min; an
    // older build whose writes slow down with the data gets less time and is measured with what it has.
    flat: { sizes: [0, 1_000, 10_000], k: 400, seedS: 600, beforeSeedS: 120 },
    floor: { sizes: [0, 20_000], n: 300 },
  },
  quick: {
    fanout: [{ name: '30 sockets @ 20/s', users: 10, devices: 3, rate: 20, durationS: 5, workers: 2 }],
    ladder: { name: '30 sockets', users: 10, devices: 3, workers: 2, steps: [10, 20, 40], stepS: 4 },
    idle: { sockets: 600, workers: 2, idleS: 5 },
    http: { connections: 10, halfS: 2, warmupS: 1, graphqlPages: 20 },
    flat: { sizes: [0, 200, 1_000], k: 60, seedS: 300, beforeSeedS: 30 },
    floor: { sizes: [0, 2_000], n: 60 },
  },
};
const ALL_PARTS = ['startup', 'fanout', 'ladder', 'http', 'flat', 'idle', 'floor', 'peer'];
/** The parts a `--before` build runs too. */
const BUILD_PARTS = ['fanout', 'ladder', 'http', 'flat', 'idle'];
/** Old part names: `store` is now the FerretDB floor; `before` is `--before <ref>`. */
const ALIASES = { store: 'floor' };

function parseOptions(argv, env) {
  const flag = (name) => argv.includes(name);
  // `optionLike`: the value is itself Node options (`--node-args "--flag"`), so it may start with `--`.
  const value = (name, { optionLike = false } = {}) => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || (!optionLike && v.startsWith('--'))) throw new Error(`${name} needs a value`);
    return v;
  };
  const quick = flag('--quick') || env.BENCH_QUICK === '1';
  const only = (value('--only') ?? env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((p) => ALIASES[p] ?? p);
  if (only.includes('before')) throw new Error('"before" is no longer a part: use --before <git-ref> (e.g. --before 9d80488) to run the chosen parts on that build too');
  for (const p of only) if (!ALL_PARTS.includes(p)) throw new Error(`unknown part "${p}" (parts: ${ALL_PARTS.join(', ')})`);
  const parts = new Set(only.length ? only : ALL_PARTS);
  if (flag('--no-peer') || env.BENCH_PEER === '0') parts.delete('peer');
  const before = value('--before') ?? (env.BENCH_BEFORE || undefined);
  // Backend settings other than the bench's own (e.g. SOCKET_PING_INTERVAL_MS=50000), for a what-if run.
  /** @type {Record<string, string>} */
  const backendEnv = {};
  for (const pair of (value('--backend-env') ?? env.BENCH_BACKEND_ENV ?? '').split(',').filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair.trim());
    if (!match) throw new Error(`--backend-env: "${pair}" is not NAME=value`);
    backendEnv[match[1]] = match[2];
  }
  // Node options on the command line of the working tree's backends only (not a --before build's):
  // with `--before HEAD` on an unchanged tree, a side-by-side A/B of the options alone.
  const nodeArgs = (value('--node-args', { optionLike: true }) ?? env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return { quick, parts, before, backendEnv, nodeArgs, setup: !(flag('--no-setup') || env.BENCH_SETUP === '0') };
}

/** Each backend's command line as it runs, from /proc (what a build runs is checked, not assumed). */
const backendCommandLines = (cluster) =>
  cluster
    .services()
    .filter((s) => s.name.startsWith('backend-'))
    .map((s) => ({ name: s.name, cmd: readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').split('\0') }));

const runStarted = performance.now();
/** Progress lines carry the seconds since the run started. */
const log = (line) => console.log(line.startsWith('\n') || !line ? line : `[${String(Math.round((performance.now() - runStarted) / 1000)).padStart(4)} s] ${line}`);

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

/** Empties the bench's data dir, except a `--before` build kept for the next run. */
function emptyDataDir(dataDir) {
  mkdirSync(dataDir, { recursive: true });
  for (const entry of readdirSync(dataDir)) if (entry !== 'before-src') rmSync(join(dataDir, entry), { recursive: true, force: true });
}

async function main() {
  const options = parseOptions(process.argv.slice(2), process.env);
  const plan = options.quick ? PLANS.quick : PLANS.full;
  const mode = options.quick ? 'quick' : 'full';
  const startedAt = new Date();
  /** @type {any} the report, written out as JSON */
  const result = {
    version: 2,
    mode,
    startedAt: startedAt.toISOString(),
    machineAtStart: machineInfo(),
    parts: [...options.parts],
    backendEnv: options.backendEnv,
    nodeArgs: options.nodeArgs,
    builds: [{ id: 'after', label: 'after (working tree)' }],
    fanout: [],
    ladder: [],
    http: [],
    flat: [],
    idle: {},
  };
  const dataDir = join(ROOT, '.data', 'bench');
  log(
    `bench (${mode}): ${[...options.parts].join(', ')}${options.before ? `; before: ${options.before}` : ''}${Object.keys(options.backendEnv).length ? `; backends set with ${JSON.stringify(options.backendEnv)}` : ''}${options.nodeArgs.length ? `; the working tree's backends run with ${options.nodeArgs.join(' ')}` : ''}; load average ${result.machineAtStart.loadAvg.join(' ')} on ${result.machineAtStart.cpus} cores`,
  );
  if (result.machineAtStart.openFiles < WANT_OPEN_FILES)
    log(`note: open files limited to ${result.machineAtStart.openFiles} per process (raising it was refused); the idle scenario is sized to fit`);

  let setupMs = null;
  if (options.setup) {
    const t = performance.now();
    await setup({ log: (line) => log(`  ${line}`) });
    setupMs = performance.now() - t;
  }
  emptyDataDir(dataDir);
  /** @type {any} set when a `before` build was asked for, and only read then */
  let before = null;
  if (options.before && !BUILD_PARTS.some((p) => options.parts.has(p))) log(`--before ${options.before}: none of ${BUILD_PARTS.join(', ')} is selected, so that build is not run`);
  else if (options.before) {
    before = prepareBeforeBuild({ ref: options.before, dir: join(dataDir, 'before-src'), log });
    result.builds.push({ id: 'before', label: `before (${options.before})`, ref: options.before, commit: before.commit, subject: before.subject });
  }

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

  let cluster = null;
  let peer = null;
  const cleanup = async () => {
    await peer?.stop().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      log(`\n${sig}: stopping the bench cluster`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    // Start to ready: cold (empty data dir), then warm (same data dir again); the warm cluster serves the rest.
    const ports = benchPorts();
    log(`cluster: cold start in ${dataDir} (Caddy :${ports.http}, backends :${ports.backends.join(',')})`);
    cluster = await startBenchCluster({ dataDir, ports, env: options.backendEnv, nodeArgs: options.nodeArgs, log: () => undefined });
    const coldMs = cluster.startedInMs;
    let warmMs = null;
    let stopMs = null;
    if (options.parts.has('startup')) {
      const t = performance.now();
      await cluster.stop();
      stopMs = performance.now() - t;
      cluster = null;
      cluster = await startBenchCluster({ dataDir, ports, env: options.backendEnv, nodeArgs: options.nodeArgs, log: () => undefined });
      warmMs = cluster.startedInMs;
    }
    result.startup = { setupMs, coldMs, warmMs, stopMs, mongo: cluster.mongoKind };
    log(`  cold ${(coldMs / 1000).toFixed(1)} s${warmMs !== null ? `, warm ${(warmMs / 1000).toFixed(1)} s` : ''}`);

    // Accounts for every scenario: U users, three devices (sessions) each.
    const socketParts = ['fanout', 'ladder', 'idle'].filter((p) => options.parts.has(p));
    const usersNeeded = Math.max(
      20,
      ...(options.parts.has('fanout') ? plan.fanout.map((f) => f.users) : []),
      options.parts.has('ladder') ? plan.ladder.users : 0,
      options.parts.has('idle') ? Math.ceil(plan.idle.sockets / 10) : 0,
    );
    const label = `b${Date.now().toString(36)}`;
    log(`accounts: ${usersNeeded} users x 3 devices${socketParts.length ? '' : ' (writers of the HTTP scenario)'}`);
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

    // The store alone, while the cluster is quiet: FerretDB's own cost per command.
    if (options.parts.has('floor')) {
      await waitQuiet(cluster);
      result.floor = await runFloor({ cluster, sizes: plan.floor.sizes, n: plan.floor.n, log }).catch((error) => ({ error: error.message }));
      if (result.floor.error) log(`  floor failed: ${result.floor.error}`);
    }

    // Each Cobalt scenario starts from empty todo collections and a quiet cluster.
    const fresh = async () => {
      const waitedMs = await waitQuiet(cluster);
      await resetTodoData(cluster.urls.mongo);
      return waitedMs;
    };
    // A scenario that fails is recorded as failed, and the run goes on with the next one.
    const attempt = async (what, build, fn) => {
      try {
        return await fn();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`  ${what} (${build.label}) failed: ${message}`);
        (result.errors ??= []).push({ part: what, build: build.id, error: message });
        return null;
      }
    };

    for (const build of result.builds) {
      const first = build.id === 'after';
      if (!first) {
        // The other build on the same cluster setup: same data dir (accounts and sessions kept),
        // todo collections dropped so that build creates its own indexes, then its backends.
        if (!BUILD_PARTS.some((p) => options.parts.has(p))) break;
        log(`\n${build.label}: ${before.subject.slice(0, 100)}`);
        log('  restarting the cluster with the backends of that build');
        await waitQuiet(cluster);
        await resetTodoData(cluster.urls.mongo, { drop: true });
        await cluster.stop();
        cluster = null;
        cluster = await startBenchCluster({ dataDir, ports, env: options.backendEnv, backendEntry: before.backendEntry, log: () => undefined });
        build.startedInMs = cluster.startedInMs;
        // Each backend runs that build's entry (checked on its command line, not assumed).
        for (const { name, cmd } of backendCommandLines(cluster)) {
          if (!cmd.includes(before.backendEntry)) throw new Error(`${name} does not run ${before.backendEntry} (${cmd.join(' ')})`);
          if (options.nodeArgs.some((a) => cmd.includes(a))) throw new Error(`${name} of the before build runs with ${options.nodeArgs.join(' ')}`);
        }
      } else {
        // The working tree's backends run with --node-args, if any (checked on their command lines).
        for (const { name, cmd } of backendCommandLines(cluster)) {
          if (!options.nodeArgs.every((a) => cmd.includes(a))) throw new Error(`${name} does not run with ${options.nodeArgs.join(' ')} (${cmd.join(' ')})`);
        }
      }
      const transport = cobaltTransport(cluster, { label: result.builds.length > 1 ? build.label : 'cobalt' });
      // Every account writes once first: a user's first write reads the user's head from the store
      // (the flat-cost table shows what that costs); the measured writes are those of users who
      // wrote before, as in a running service.
      if (['fanout', 'ladder', 'http'].some((p) => options.parts.has(p))) {
        const ms = await firstWrites(cluster.urls.public, accounts);
        build.firstWritesS = ms / 1000;
        log(`first writes: one per account (${accounts.length}) in ${(ms / 1000).toFixed(1)} s`);
      }

      // 1. Fan-out, each size on Cobalt, then (first build only) on the peer.
      if (options.parts.has('fanout')) {
        for (const f of plan.fanout) {
          const spec = { name: f.name, accounts: accounts.slice(0, f.users), devicesPerUser: f.devices, rate: f.rate, durationMs: f.durationS * 1000, workers: f.workers, log };
          await attempt(`fan-out ${f.name}`, build, async () => {
            const quietWaitMs = await fresh();
            const fan = await runFanout({ ...spec, transport });
            result.fanout.push({ ...fan, build: build.id, quietWaitMs, storeAtEnd: await collectionSizes(cluster.urls.mongo) });
          });
          if (peer && first) {
            await waitQuiet(cluster);
            await attempt(`fan-out ${f.name} (peer)`, build, async () => result.fanout.push({ ...(await runFanout({ ...spec, transport: natsTransport(peer) })), build: null }));
          }
        }
      }

      // 2. The capacity ladder: sockets connected once, rising write rates.
      if (options.parts.has('ladder')) {
        const l = plan.ladder;
        const spec = { name: l.name, accounts: accounts.slice(0, l.users), devicesPerUser: l.devices, workers: l.workers, steps: l.steps, stepMs: l.stepS * 1000, log };
        await attempt('ladder', build, async () => {
          await fresh();
          const between = () => waitQuiet(cluster, { maxMs: 30_000 });
          result.ladder.push({ ...(await runLadder({ ...spec, transport, between })), build: build.id });
        });
        if (peer && first) {
          await waitQuiet(cluster);
          await attempt('ladder (peer)', build, async () =>
            result.ladder.push({ ...(await runLadder({ ...spec, transport: natsTransport(peer), between: () => sleep(2_000).then(() => 2_000) })), build: null }),
          );
        }
      }

      // 3. HTTP, through Caddy and direct, interleaved.
      if (options.parts.has('http')) {
        await attempt('http', build, async () => {
          await fresh();
          const reader = await createAccounts(cluster.urls.public, { users: 1, devices: 1, label: `${label}-reader-${build.id}-${Date.now().toString(36)}` });
          const readerToken = reader.accounts[0].tokens[0];
          await seedTodos(cluster.urls.public, readerToken, 40);
          const h = plan.http;
          const one = await startSingleUpstreamCaddy({ port: ports.http + 1, upstream: new URL(cluster.urls.backends[0]).host, dataDir });
          const results = await runHttp({
            targets: { caddy: cluster.urls.public, direct: cluster.urls.backends[0], caddyOne: one.url, caddyOnePid: one.pid },
            reader: readerToken,
            writers: accounts.slice(0, 20).map((a) => a.tokens[0]),
            connections: h.connections,
            halfS: h.halfS,
            warmupS: h.warmupS,
            meter: (pids) => openWindow(cluster, { pids }),
            log,
          }).finally(() => one.stop());
          log(`  counting Postgres reads of ${h.graphqlPages} GraphQL pages`);
          const page = () =>
            fetch(`${cluster.urls.backends[0]}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${readerToken}` },
              body: JSON.stringify({ query: GRAPHQL_PAGE }),
            }).then((r) => r.text());
          /** @type {{ error?: string, [key: string]: unknown }} */
          const reads = await postgresReadsPerRequest(cluster.urls.postgres, page, { count: h.graphqlPages }).catch((error) => ({ error: error.message }));
          result.http.push({
            build: build.id,
            connections: h.connections,
            secondsPerTarget: h.halfS * 2,
            results,
            postgresReadsPerGraphqlPage: reads.error ? undefined : reads,
            postgresReadsError: reads.error,
          });
        });
      }

      // 4. Flat cost: per-operation cost for users with 0, 1,000 and 10,000 todos.
      if (options.parts.has('flat')) {
        await attempt('flat', build, async () => {
          await fresh();
          const f = plan.flat;
          result.flat.push({
            build: build.id,
            ...(await runFlat({ cluster, label: `${label}-flat-${build.id}`, sizes: f.sizes, k: f.k, seedBudgetS: first ? f.seedS : f.beforeSeedS, log })),
          });
        });
      }

      // 5. Idle capacity (last on this cluster: it restarts backends), then (current build only) the peer.
      if (options.parts.has('idle')) {
        await fresh();
        const limit = openFilesLimit();
        // Caddy holds two descriptors per socket (client and upstream), under the same limit.
        const budget = Math.floor((limit - 1000) / 2 / 100) * 100;
        const sockets = Math.min(plan.idle.sockets, budget);
        if (sockets < plan.idle.sockets) log(`idle: ${sockets} sockets, not ${plan.idle.sockets}: the open-files limit here is ${limit} per process and cannot be raised`);
        result.idleLimit = sockets < plan.idle.sockets ? { wanted: plan.idle.sockets, measured: sockets, openFilesLimit: limit } : undefined;
        const idle = { sockets, workers: plan.idle.workers, idleMs: plan.idle.idleS * 1000, accounts, log };
        const key = first ? 'cobalt' : `cobalt-${build.id}`;
        const name = result.builds.length > 1 ? build.label : 'cobalt';
        result.idle[key] = {
          ...(await runIdle({ ...idle, name, transport: cobaltTransport(cluster), servers: cobaltServers(cluster) }).catch((error) => ({
            peer: 'cobalt',
            name,
            error: error.message,
          }))),
          build: build.id,
        };
        if (peer && first) await waitQuiet(cluster);
        if (peer && first)
          result.idle.nats = await runIdle({ ...idle, name: 'peer', transport: natsTransport(peer), servers: natsServers(peer) }).catch((error) => ({
            peer: 'nats',
            error: error.message,
          }));
        // This build's runs only (an earlier build's failures were reported with it).
        for (const k of [key, ...(peer && first ? ['nats'] : [])]) {
          const v = result.idle[k];
          if (!v?.error) continue;
          log(`  idle ${k} failed: ${v.error}`);
          (result.errors ??= []).push({ part: `idle ${k}`, build: build.id, error: v.error });
        }
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
    ...(Object.keys(result.backendEnv ?? {}).length
      ? [
          `Backends set with ${Object.entries(result.backendEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')} (not their defaults).`,
        ]
      : []),
    ...(result.nodeArgs?.length ? [`The working tree's backends ran with \`${result.nodeArgs.join(' ')}\` on their command line (a what-if).`] : []),
    `Run ${result.startedAt} (${result.mode}, ${result.durationS.toFixed(0)} s) on ${result.machineAtStart.cpus} cores (${result.machineAtStart.cpuModel}), Node ${result.machineAtStart.node}, store ${result.startup?.mongo ?? '?'}.`,
    `Shared machine: other work used ${result.otherLoadBeforeStart.percent.toFixed(0)}% of a core just before the start (after waiting ${result.otherLoadBeforeStart.waitedS} s); load average ${result.machineAtStart.loadAvg.join(' ')} at start, ${result.machineAtEnd.loadAvg.join(' ')} at end. The "other load" columns show it per measurement.`,
  ].join('\n');
  console.log(`\n${tables}\n\n${notes}`);

  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.md'), `${tables}\n\n${notes}\n`);
  if (result.mode === 'full' && result.parts.length === ALL_PARTS.length && !Object.keys(result.backendEnv ?? {}).length && !result.nodeArgs?.length) {
    const rounded = (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(2)) : v);
    writeFileSync(join(ROOT, 'bench', 'summary.json'), `${JSON.stringify(summaryOf(result), rounded, 2)}\n`);
    updateDoc(join(ROOT, 'docs', 'PERFORMANCE.md'), `${tables}\n\n${notes}`);
    log('\nwrote bench/results/latest.json, bench/summary.json and the results in docs/PERFORMANCE.md');
  } else log('\nwrote bench/results/latest.json');
}

/** The committed summary: the numbers behind the docs' tables, without per-process detail. */
function summaryOf(r) {
  const slimFan = ({ connect, ...f }) => ({
    ...f,
    connect: connect ? { connected: connect.connected, failed: connect.failed, byInstance: connect.byInstance, perSec: connect.perSec } : undefined,
  });
  return {
    startedAt: r.startedAt,
    durationS: Math.round(r.durationS),
    machine: r.machineAtStart,
    loadAvgAtEnd: r.machineAtEnd.loadAvg,
    builds: r.builds,
    startup: r.startup,
    accounts: r.accounts,
    fanout: r.fanout.map(slimFan),
    ladder: r.ladder.map(({ connect, ...l }) => ({ ...l, connect: { connected: connect.connected, failed: connect.failed, perSec: connect.perSec } })),
    http: r.http,
    flat: r.flat,
    floor: r.floor,
    idle: r.idle,
    peer: r.peer,
    errors: r.errors,
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
