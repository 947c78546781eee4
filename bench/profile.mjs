#!/usr/bin/env node
// Where the time and memory go, under the bench's own scenarios (docs/PERFORMANCE.md, "Profiles"):
//
//   node bench/profile.mjs [--quick] [--no-setup] [--store sqlite] [--only fanout,http,idle]
//
// Starts the bench cluster with each backend's inspector on (a random loopback port), with the
// backends on the cluster's store or (--store sqlite) on FerretDB over SQLite, the store before, then:
//   1. CPU profiles of all three backends during the fan-out write window (3,000 sockets, 200/s);
//   2. CPU profiles of backend-1 during the REST list and the GraphQL page, direct, 8 s each;
//   3. heap snapshots of a freshly restarted backend-1 before and after the idle sockets
//      connect, and what grew per socket; then CPU profiles of backend-1 idle, with no sockets
//      and with them, 30 s each (idle CPU is what the sockets cost while nothing happens).
// Prints the summaries and writes bench/results/profile.json. Numbers taken with the profiler
// attached are not benchmark results: use `npm run bench` for those.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../scripts/lib/root.mjs';
import { setup } from '../scripts/setup/install.mjs';
import { createAccounts, seedTodos } from './lib/accounts.mjs';
import { benchPorts, scrapeMetrics, startBenchCluster, waitQuiet } from './lib/cluster.mjs';
import { reexecWithMoreFiles } from './lib/limits.mjs';
import { heapByKind, heapGrowth, heapSnapshot, inspectService, startCpuProfile, summarizeCpuProfile, summarizeCpuProfiles } from './lib/profiles.mjs';
import { markdownTable } from './lib/stats.mjs';
import { startWorker, stopWorkers } from './lib/workers.mjs';
import { cobaltTransport, connectDevices, runFanout } from './scenarios/fanout.mjs';
import { endpoints } from './scenarios/http.mjs';
import { startFerretOnSqlite } from './lib/ferret-sqlite.mjs';
import { resetTodoData, storeProbePort } from './lib/store.mjs';

const log = (line) => console.log(line);

function printCpu(title, s) {
  log(`\n${title}: busy ${s.busyPercent}% of ${(s.wallMs / 1000).toFixed(1)} s per profiled process`);
  log(
    markdownTable(
      ['package', 'self ms', '% of busy'],
      s.byPackage.slice(0, 10).map((r) => [r.name, r.ms, r.percent]),
    ),
  );
  log(
    markdownTable(
      ['function', 'self ms', '% of busy'],
      s.topFunctions.slice(0, 12).map((r) => [r.name, r.ms, r.percent]),
    ),
  );
}

async function main() {
  const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  if (!(process.argv.includes('--no-setup') || process.env.BENCH_SETUP === '0')) await setup({ log: (l) => log(`  ${l}`) });
  const dataDir = join(ROOT, '.data', 'bench');
  rmSync(dataDir, { recursive: true, force: true });
  // Raw profiles (open a .cpuprofile in Chrome DevTools) go beside the summary.
  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const storeArg = process.argv.indexOf('--store');
  const store = storeArg >= 0 ? process.argv[storeArg + 1] : 'cluster';
  const out = { startedAt: new Date().toISOString(), mode: quick ? 'quick' : 'full', store };
  const onlyArg = process.argv.indexOf('--only');
  const parts = new Set(onlyArg >= 0 ? process.argv[onlyArg + 1].split(',') : ['fanout', 'http', 'idle']);
  const ports = benchPorts();
  // The bench cluster's backends open their inspectors anyway (BENCH_INSPECTOR_ENV).
  /** @type {Record<string, string>} */
  const env = {};
  let ferret = null;
  if (store === 'sqlite') {
    ferret = await startFerretOnSqlite({ port: storeProbePort(), dataDir });
    env.MONGO_URL = `mongodb://127.0.0.1:${storeProbePort()}/cobalt`;
  } else if (store !== 'cluster') throw new Error(`--store ${store}: only "sqlite" is known`);
  const cluster = await startBenchCluster({ dataDir, ports, env, log: () => undefined });
  const fresh = async () => {
    await waitQuiet(cluster);
    await resetTodoData(cluster.backendEnv.MONGO_URL);
  };
  const inspect = (name) => inspectService(cluster, name);
  try {
    const users = quick ? 60 : 1000;
    const { accounts } = await createAccounts(cluster.urls.public, { users, devices: 3, label: `p${Date.now().toString(36)}`, concurrency: 16 });
    const names = cluster.urls.backends.map((_, i) => `backend-${i + 1}`);
    const inspectors = await Promise.all(names.map(inspect));

    // 1. Fan-out write window, all backends.
    if (parts.has('fanout')) await profileFanout();
    async function profileFanout() {
      await fresh();
      let stops = [];
      const profiles = [];
      await runFanout({
        name: quick ? '30 sockets @ 20/s' : '3,000 sockets @ 200/s',
        transport: cobaltTransport(cluster),
        accounts: accounts.slice(0, quick ? 10 : 1000),
        devicesPerUser: 3,
        rate: quick ? 20 : 200,
        durationMs: quick ? 5_000 : 20_000,
        workers: quick ? 2 : 4,
        hooks: {
          beforeWrites: async () => (stops = await Promise.all(inspectors.map(startCpuProfile))),
          afterWrites: async () => profiles.push(...(await Promise.all(stops.map((stop) => stop())))),
        },
        log,
      });
      writeFileSync(join(resultsDir, `${store}-fanout-backends.cpuprofiles.json`), JSON.stringify(profiles));
      out.fanoutCpu = summarizeCpuProfiles(profiles, { top: 25 });
      out.fanoutCpuByBackend = profiles.map((p) => summarizeCpuProfile(p, { top: 5 }));
      printCpu('CPU during fan-out writes (three backends together)', out.fanoutCpu);
    }

    // 2. REST list vs GraphQL page on backend-1, direct.
    if (parts.has('http')) await profileHttp();
    async function profileHttp() {
      await fresh();
      const reader = (await createAccounts(cluster.urls.public, { users: 1, devices: 1, label: `p${Date.now().toString(36)}r` })).accounts[0].tokens[0];
      await seedTodos(cluster.urls.public, reader, 40);
      const load = await startWorker('http-load');
      out.http = {};
      try {
        for (const ep of endpoints({ reader, writers: [reader] }).filter((e) => e.key !== 'rest-create')) {
          await load.call('run', { url: cluster.urls.backends[0], ...ep, connections: 10, durationS: 2 });
          const stop = await startCpuProfile(inspectors[0]);
          const run = await load.call('run', { url: cluster.urls.backends[0], ...ep, connections: 10, durationS: quick ? 3 : 8 });
          const profile = await stop();
          writeFileSync(join(resultsDir, `${store}-${ep.key}-backend-1.cpuprofile`), JSON.stringify(profile));
          out.http[ep.key] = { reqPerSec: run.reqPerSec, cpu: summarizeCpuProfile(profile, { top: 25 }) };
          printCpu(`CPU of backend-1 during ${ep.label} (${Math.round(run.reqPerSec)} req/s with the profiler on)`, out.http[ep.key].cpu);
        }
      } finally {
        await load.stop();
      }
    }
    for (const i of inspectors) i.close();
    if (!parts.has('idle')) return;

    // 3. Heap growth per idle socket on a fresh backend-1.
    await fresh();
    await cluster.restart('backend-1');
    await sleep(3_000);
    const restarted = await inspect('backend-1');
    const idleWindowMs = quick ? 10_000 : 30_000;
    const idleCpu = async (label) => {
      const stop = await startCpuProfile(restarted);
      await sleep(idleWindowMs);
      const profile = await stop();
      writeFileSync(join(resultsDir, `${store}-idle-${label}-backend-1.cpuprofile`), JSON.stringify(profile));
      return summarizeCpuProfile(profile, { top: 25 });
    };
    out.idleCpu = { noSockets: await idleCpu('no-sockets') };
    const before = heapByKind(await heapSnapshot(restarted));
    const rssBefore = (await scrapeMetrics(cluster.urls.backends[0])).rssBytes;
    const sockets = quick ? 600 : 10_000;
    const perUser = Math.ceil(sockets / accounts.length);
    const { receivers, connect } = await connectDevices(cobaltTransport(cluster), accounts, { devicesPerUser: perUser, workers: quick ? 2 : 5, concurrency: 25 });
    try {
      await sleep(5_000);
      const onBackend1 = connect.byInstance['backend-1'] ?? 0;
      const rssAfter = (await scrapeMetrics(cluster.urls.backends[0])).rssBytes;
      const after = heapByKind(await heapSnapshot(restarted));
      out.idleHeap = { socketsOnBackend1: onBackend1, rssPerSocketBytes: Math.round((rssAfter - rssBefore) / onBackend1), ...heapGrowth(before, after, onBackend1, { top: 25 }) };
      log(`\nHeap growth per socket on backend-1 (${onBackend1} sockets): ${out.idleHeap.totalPerUnit} B of JS heap (RSS ${out.idleHeap.rssPerSocketBytes} B)`);
      log(
        markdownTable(
          ['kind', 'bytes per socket', 'objects per socket'],
          out.idleHeap.top.map((r) => [r.name, r.bytesPerUnit, r.countPerUnit]),
        ),
      );
      out.idleCpu.sockets = await idleCpu('sockets');
      out.idleCpu.socketsOnBackend1 = onBackend1;
      printCpu('CPU of backend-1 idle, no sockets', out.idleCpu.noSockets);
      printCpu(`CPU of backend-1 idle, ${onBackend1} sockets`, out.idleCpu.sockets);
    } finally {
      restarted.close();
      await Promise.all(receivers.map((w) => w.call('closeAll').catch(() => undefined)));
      await stopWorkers(receivers);
    }
  } finally {
    await cluster.stop();
    await ferret?.stop();
  }
  const file = `profile${store === 'cluster' ? '' : `-${store}`}.json`;
  writeFileSync(join(resultsDir, file), `${JSON.stringify(out, null, 2)}\n`);
  log(`\nwrote bench/results/${file}`);
}

if (!reexecWithMoreFiles(import.meta.url)) {
  main().catch((error) => {
    console.error(`profile failed: ${error instanceof Error ? error.stack : error}`);
    process.exit(1);
  });
}
