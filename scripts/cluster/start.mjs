// Starting the whole topology: Caddy (public entry) -> 3 backend instances -> PostgreSQL, Redis,
// MongoDB wire (mongod or FerretDB); Prometheus scraping the backends.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive } from '../lib/processes.mjs';
import { mongoServer, which } from '../lib/executables.mjs';
import { ROOT } from '../lib/root.mjs';
import { setup } from '../setup/install.mjs';
import { indexFerretStore } from './ferret-indexes.mjs';
import { claimPorts, resolvePorts } from './ports.mjs';
import { DB_NAME, DB_USER, postgresReaches } from './postgres.mjs';
import { jwtSecret } from './secrets.mjs';
import { backendEnvironment, startBackends } from './services/backends.mjs';
import { startCaddy } from './services/caddy.mjs';
import { startMongo } from './services/mongo.mjs';
import { startPostgres } from './services/postgres.mjs';
import { startPrometheus } from './services/prometheus.mjs';
import { startRedis } from './services/redis.mjs';
import { readState, resolveDataDir } from './state.mjs';
import { Supervisor } from './supervisor.mjs';

/** Refuses a data dir whose cluster still runs. */
function refuseIfRunning(dataDir) {
  const previous = readState(dataDir);
  if (!previous) return;
  const running = Object.entries(previous.services ?? {}).filter(([, s]) => isAlive(s.pid));
  if ((previous.owner === 'cli' && isAlive(previous.pid) && previous.pid !== process.pid) || running.length) {
    throw new Error(
      `a cluster is already running in ${dataDir} (${running.map(([n, s]) => `${n} ${s.pid}`).join(', ') || `pid ${previous.pid}`}); stop it with: COBALT_DATA_DIR=${dataDir} node scripts/cluster.mjs stop`,
    );
  }
}

/** The programs each service runs; throws naming what is missing. */
function findPrograms(root, { withBackends, backendEntry }) {
  if (withBackends && !existsSync(backendEntry)) throw new Error(`${backendEntry} does not exist: build the backend (npm run build -w backend) or start with backends: false`);
  const mongo = mongoServer(root);
  if (!existsSync(mongo.bin)) throw new Error(`${mongo.bin} not found (run node scripts/setup.mjs)`);
  const programs = { mongo, caddy: which('caddy'), prometheus: which('prometheus'), redis: which('redis-server') };
  if (!programs.caddy || !programs.prometheus || !programs.redis) throw new Error('caddy, prometheus or redis-server missing (run node scripts/setup.mjs)');
  return programs;
}

function clusterUrls(ports, withBackends) {
  return {
    public: `http://127.0.0.1:${ports.http}`,
    backends: withBackends ? ports.backends.map((p) => `http://127.0.0.1:${p}`) : [],
    postgres: `postgresql://${DB_USER}@127.0.0.1:${ports.postgres}/${DB_NAME}`,
    redis: `redis://127.0.0.1:${ports.redis}`,
    mongo: `mongodb://127.0.0.1:${ports.mongo}/${DB_NAME}`,
    prometheus: `http://127.0.0.1:${ports.prometheus}`,
  };
}

/**
 * Start the whole topology and wait until it answers through Caddy.
 *
 * @param {object} [opts]
 * @param {string} [opts.root]               repository root
 * @param {string} [opts.dataDir]            default COBALT_DATA_DIR or .data/cluster (relative to root)
 * @param {number} [opts.portOffset]         added to every default/env port (a second cluster beside the dev one)
 * @param {object} [opts.ports]              explicit ports: { http, backends: [..], postgres, redis, mongo, prometheus, caddyAdmin }
 * @param {boolean|object} [opts.setup=true] run setup() first (an object is passed to it as options)
 * @param {boolean} [opts.backends=true]     start the backend instances (false: infrastructure and Caddy only)
 * @param {string} [opts.nodeEnv]            NODE_ENV of the backends, default production
 * @param {Record<string,string>} [opts.env] extra environment for the backends (wins over the defaults)
 * @param {string} [opts.backendEntry]       default backend/dist/main.js
 * @param {string[]} [opts.nodeArgs]        Node options for the backends' command line (default none; e.g. V8 flags NODE_OPTIONS does not take)
 * @param {AbortSignal} [opts.signal]        abort a start in progress
 * @param {(line: string) => void} [opts.log]
 * @param {(svc: {name: string}, how: string) => void} [opts.onExit]  a service died after start
 * @param {string} [opts.owner]              who started it, recorded in cluster.json (default 'library')
 *
 * Resolves with the cluster: its urls, ports, dataDir, backendEnv, services() and kill, start,
 * restart and stop (its type is inferred from the code below). `kill` stops one service (default: its usual stop signal; e.g. 'SIGKILL' for a crash) and
 *   resolves once it has exited; `start` starts it again as at cluster start and resolves once it
 *   is ready; `restart` does both. Services: caddy, prometheus, backend-N, postgres, redis, mongo.
 */
export async function startCluster(opts = {}) {
  const root = resolve(opts.root ?? ROOT);
  const log = opts.log ?? ((line) => console.log(line));
  const dataDir = resolveDataDir(opts.dataDir, root);
  const withBackends = opts.backends !== false;
  const backendEntry = resolve(root, opts.backendEntry ?? join('backend', 'dist', 'main.js'));
  const started = Date.now();

  if (opts.setup !== false) await setup({ root, log, ...(typeof opts.setup === 'object' ? opts.setup : {}) });
  refuseIfRunning(dataDir);
  const ports = await claimPorts(resolvePorts(opts), { withBackends, chosen: opts.ports, log });
  const programs = findPrograms(root, { withBackends, backendEntry });

  for (const d of ['logs', 'pids', 'redis', 'mongo', 'prometheus', 'caddy']) mkdirSync(join(dataDir, d), { recursive: true });
  const sup = new Supervisor({ dataDir, log, owner: opts.owner ?? 'library' });
  sup.state.ports = ports;
  sup.onExit = opts.onExit;
  const urls = clusterUrls(ports, withBackends);
  const backendEnv = backendEnvironment({ ports, urls, jwtSecret: jwtSecret(dataDir), nodeEnv: opts.nodeEnv, extra: opts.env });
  // Postgres runs unprivileged when we are root; whether it can reach the data dir decides
  // where its files go (see postgresDataDir).
  const ctx = {
    sup,
    root,
    dataDir,
    ports,
    urls,
    programs,
    backendEnv,
    backendEntry,
    nodeArgs: opts.nodeArgs ?? [],
    withBackends,
    pgReachable: postgresReaches(dataDir),
    abort: opts.signal,
  };

  // Each service is defined by how it starts (spawn, then wait until ready), so a fault test can
  // stop one and start it again the same way.
  try {
    await Promise.all([startPostgres(ctx), startRedis(ctx), startMongo(ctx), startPrometheus(ctx)]);
    if (withBackends) {
      await startBackends(ctx);
      if (programs.mongo.kind === 'ferretdb') await indexFerretStore(ctx);
    }
    await startCaddy(ctx);
  } catch (err) {
    await sup.stop();
    throw err;
  }

  sup.starting = false;
  sup.state.urls = urls;
  sup.state.readyAt = new Date().toISOString();
  sup.saveState();
  return {
    urls,
    ports,
    dataDir,
    mongoKind: programs.mongo.kind,
    backendEnv,
    startedInMs: Date.now() - started,
    services: () => [...sup.services.values()].map(({ name, pid, logFile, exit, deliberate }) => ({ name, pid, logFile, exit, deliberate: deliberate === true })),
    kill: (name, sig) => sup.kill(name, sig),
    start: (name) => sup.relaunch(name),
    restart: async (name, /** @type {{ signal?: string }} */ { signal: sig } = {}) => {
      const stopped = await sup.kill(name, sig);
      const relaunched = await sup.relaunch(name);
      return { ...stopped, pid: relaunched.pid, stoppedPid: stopped.pid, readyInMs: relaunched.readyInMs };
    },
    stop: () => sup.stop(),
  };
}
