#!/usr/bin/env node
// The whole Cobalt topology from native binaries, no Docker (scripts/cluster/):
//   Caddy (public entry) -> 3 backend instances -> PostgreSQL, Redis, MongoDB wire (mongod or FerretDB)
//   Prometheus scraping the backends.
//
//   node scripts/cluster.mjs start [--data-dir DIR] [--port-offset N] [--no-setup] [--no-build] [--no-backends] [--dev]
//   node scripts/cluster.mjs stop  [--data-dir DIR]
//   node scripts/cluster.mjs status [--data-dir DIR]
//
// Library: `startCluster` in scripts/cluster/start.mjs, `stopCluster` in scripts/cluster/stop.mjs.
//
// Everything lives under one data dir (default .data/cluster, env COBALT_DATA_DIR): server data,
// logs/<service>.log, pids/<service>.pid, secrets/jwt_secret and cluster.json (what is running).
import { whenLauncherGone } from './lib/launcher.mjs';
import { isAlive } from './lib/processes.mjs';
import { startCluster } from './cluster/start.mjs';
import { readState, resolveDataDir } from './cluster/state.mjs';
import { stopCluster } from './cluster/stop.mjs';

function parseCli(argv) {
  const [command = 'start', ...rest] = argv[0]?.startsWith('-') ? ['start', ...argv] : argv;
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--data-dir') opts.dataDir = value();
    else if (a === '--port-offset') opts.portOffset = Number(value());
    else if (a === '--no-setup') opts.setup = false;
    else if (a === '--no-build') opts.setup = { build: false };
    else if (a === '--no-backends') opts.backends = false;
    else if (a === '--dev') opts.nodeEnv = 'development';
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown option ${a} (try --help)`);
  }
  if (opts.portOffset !== undefined && !Number.isInteger(opts.portOffset)) throw new Error('--port-offset needs an integer');
  return { command, opts };
}

const USAGE = `usage: node scripts/cluster.mjs start|stop|status [options]
  --data-dir DIR      data dir (default .data/cluster, env COBALT_DATA_DIR)
  --port-offset N     add N to every port
  --no-setup          skip installing and building
  --no-build          install if needed, but do not build
  --no-backends       only infrastructure and Caddy
  --dev               NODE_ENV=development for the backends
ports (env): COBALT_HTTP_PORT 8080, COBALT_BACKEND_PORTS 3001,3002,3003, COBALT_POSTGRES_PORT 55432,
             COBALT_REDIS_PORT 56379, COBALT_MONGO_PORT 57017, COBALT_PROMETHEUS_PORT 9090 (the next free
             one when 9090 is taken and this is not set), COBALT_CADDY_ADMIN_PORT (off)`;

function printReady(cluster) {
  const { urls, ports, dataDir } = cluster;
  const lines = [
    '',
    `Cobalt is up in ${(cluster.startedInMs / 1000).toFixed(1)}s:  http://localhost:${ports.http}`,
    '',
    ...urls.backends.map((u, i) => `  backend-${i + 1}   ${u}  (metrics ${u}/metrics)`),
    `  prometheus  ${urls.prometheus}`,
    `  postgres    ${urls.postgres}`,
    `  redis       ${urls.redis}`,
    `  mongo       ${urls.mongo}  (${cluster.mongoKind === 'mongod' ? 'mongod' : 'FerretDB over its own PostgreSQL'})`,
    `  data, logs  ${dataDir}  (logs/<service>.log)`,
    '',
    'Ctrl-C stops everything.',
  ];
  console.log(lines.join('\n'));
}

async function cliStart(opts) {
  const abort = new AbortController();
  let cluster = null;
  let stopAskedAt = 0;
  const stop = async (why) => {
    if (stopAskedAt) {
      // npm passes a terminal's Ctrl-C on to this process, which the terminal has sent it too:
      // only a signal a moment later is someone asking again.
      if (why.startsWith('SIG') && Date.now() - stopAskedAt > 1000) {
        console.log(`\n${why} again: exiting now (stray processes: node scripts/cluster.mjs stop)`);
        process.exit(1);
      }
      return;
    }
    stopAskedAt = Date.now();
    console.log(`\n${why}: stopping the cluster...`);
    abort.abort();
    if (cluster) {
      await cluster.stop();
      console.log('cluster   stopped');
      process.exit(0);
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, (signal) => void stop(signal));
  whenLauncherGone(() => stop('npm has exited'));

  try {
    cluster = await startCluster({
      ...opts,
      owner: 'cli',
      signal: abort.signal,
      onExit: (svc, how) => console.error(`!! ${svc.name} exited (${how}); see ${svc.logFile}`),
    });
  } catch (err) {
    if (abort.signal.aborted) {
      console.log('cluster   start aborted; everything started so far is stopped');
      process.exit(130);
    }
    console.error(`\ncluster failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  if (abort.signal.aborted) {
    await cluster.stop();
    process.exit(0);
  }
  printReady(cluster);
}

function status({ dataDir: dir } = {}) {
  const dataDir = resolveDataDir(dir);
  const state = readState(dataDir);
  if (!state) {
    console.log(`no cluster recorded in ${dataDir}`);
    return 1;
  }
  console.log(`cluster in ${dataDir}, started ${state.startedAt} by pid ${state.pid} (${isAlive(state.pid) ? 'running' : 'gone'})`);
  for (const [name, s] of Object.entries(state.services ?? {})) console.log(`  ${name.padEnd(11)} pid ${String(s.pid).padEnd(8)} ${isAlive(s.pid) ? 'running' : 'stopped'}`);
  if (state.urls) console.log(`  public      ${state.urls.public}`);
  return 0;
}

let parsed;
try {
  parsed = parseCli(process.argv.slice(2));
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
const { command, opts } = parsed;
if (opts.help) console.log(USAGE);
else if (command === 'start') await cliStart(opts);
else if (command === 'stop') await stopCluster(opts);
else if (command === 'status') process.exitCode = status(opts);
else {
  console.error(`unknown command ${command}\n${USAGE}`);
  process.exit(2);
}
