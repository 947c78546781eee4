#!/usr/bin/env node
// The whole Cobalt topology from native binaries, no Docker:
//   Caddy (public entry) -> 3 backend instances -> PostgreSQL, Redis, MongoDB wire (mongod or FerretDB)
//   Prometheus scraping the backends.
//
//   node scripts/cluster.mjs start [--data-dir DIR] [--port-offset N] [--no-setup] [--no-build] [--no-backends] [--dev]
//   node scripts/cluster.mjs stop  [--data-dir DIR]
//   node scripts/cluster.mjs status [--data-dir DIR]
//
// Library: `const cluster = await startCluster({ dataDir, portOffset })`, later `await cluster.stop()`.
// Fault tests stop and start single services of a running cluster: `cluster.kill(name, signal)`,
// `cluster.start(name)`, `cluster.restart(name, { signal })` (names as in `cluster.services()`).
//
// Everything lives under one data dir (default .data/cluster, env COBALT_DATA_DIR): server data,
// logs/<service>.log, pids/<service>.pid, secrets/jwt_secret and cluster.json (what is running).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findPostgresBin, mongoServer, ROOT, setup, which } from './setup.mjs';

const execFileAsync = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const DEFAULT_PORTS = Object.freeze({
  http: 8080,
  backends: [3001, 3002, 3003],
  postgres: 55432,
  redis: 56379,
  mongo: 57017,
  prometheus: 9090,
});

const PORT_ENV = {
  http: 'COBALT_HTTP_PORT',
  backends: 'COBALT_BACKEND_PORTS',
  postgres: 'COBALT_POSTGRES_PORT',
  redis: 'COBALT_REDIS_PORT',
  mongo: 'COBALT_MONGO_PORT',
  prometheus: 'COBALT_PROMETHEUS_PORT',
  caddyAdmin: 'COBALT_CADDY_ADMIN_PORT',
};

/** OS user that owns and runs PostgreSQL when this script runs as root (postgres refuses root). */
const PG_OS_USER = 'cobalt';
const DB_NAME = 'cobalt';
const DB_USER = 'cobalt';

// Stop order and manner. Postgres: SIGINT is its "fast" shutdown (SIGTERM would wait for every
// client to leave), SIGQUIT its immediate one. The rest stop cleanly on SIGTERM.
const STOP = {
  caddy: { signal: 'SIGTERM', timeoutMs: 10_000 },
  prometheus: { signal: 'SIGTERM', timeoutMs: 10_000 },
  backend: { signal: 'SIGTERM', timeoutMs: 15_000 },
  postgres: { signal: 'SIGINT', timeoutMs: 15_000, escalate: 'SIGQUIT' },
  redis: { signal: 'SIGTERM', timeoutMs: 10_000 },
  mongo: { signal: 'SIGTERM', timeoutMs: 10_000 },
  initdb: { signal: 'SIGTERM', timeoutMs: 10_000 },
  'mongo-store': { signal: 'SIGINT', timeoutMs: 15_000, escalate: 'SIGQUIT' },
};
// Caddy and the backends stop together: the backends close their sockets while draining, which
// ends Caddy's grace period early instead of making it wait for long-lived WebSockets. The
// stores go last, once no backend can still use them.
// FerretDB's own PostgreSQL (mongo-store) goes after FerretDB.
const STOP_WAVES = [['caddy', 'prometheus', 'backend'], ['postgres', 'redis', 'mongo', 'initdb'], ['mongo-store']];
const kindOf = (name) => (name.startsWith('backend-') ? 'backend' : name.endsWith('initdb') ? 'initdb' : name);

// ---------------------------------------------------------------------------------------------
// Configuration

function envPort(env, key) {
  const raw = env[PORT_ENV[key]];
  if (raw === undefined || raw === '') return undefined;
  if (key === 'backends') {
    const list = raw.split(',').map((s) => Number(s.trim()));
    if (!list.length || list.some((p) => !Number.isInteger(p) || p <= 0 || p > 65535)) throw new Error(`${PORT_ENV[key]}="${raw}" is not a comma-separated list of ports`);
    return list;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${PORT_ENV[key]}="${raw}" is not a port`);
  return n;
}

/**
 * Ports: defaults, overridden by COBALT_*_PORT env, shifted by `portOffset`, overridden by `ports`.
 * `caddyAdmin` is only set when asked for (the admin API is off by default).
 */
export function resolvePorts({ portOffset = 0, ports = {} } = {}, env = process.env) {
  const out = {};
  for (const key of Object.keys(PORT_ENV)) {
    const base = envPort(env, key) ?? DEFAULT_PORTS[key];
    if (base === undefined) continue;
    out[key] = Array.isArray(base) ? base.map((p) => p + portOffset) : base + portOffset;
  }
  for (const [key, value] of Object.entries(ports)) if (value !== undefined) out[key] = Array.isArray(value) ? [...value] : value;
  const all = [out.http, ...out.backends, out.postgres, out.redis, out.mongo, out.prometheus, out.caddyAdmin].filter((p) => p !== undefined);
  const dup = all.find((p, i) => all.indexOf(p) !== i);
  if (dup !== undefined) throw new Error(`port ${dup} is configured for two services`);
  for (const p of all) if (!Number.isInteger(p) || p <= 0 || p > 65535) throw new Error(`invalid port ${p} (check portOffset / COBALT_*_PORT)`);
  return out;
}

export function resolveDataDir(dataDir, root = ROOT) {
  return resolve(root, dataDir ?? process.env.COBALT_DATA_DIR ?? join('.data', 'cluster'));
}

/** Shared JWT secret of all backends: generated once per data dir, kept with mode 0600. */
function jwtSecret(dataDir) {
  const dir = join(dataDir, 'secrets');
  const file = join(dir, 'jwt_secret');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(48).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${file} holds fewer than 32 characters; delete it to get a new secret`);
  return secret;
}

/** The docker-compose Prometheus config with each `backend-N:3000` target pointed at the local port. */
export function renderPrometheusConfig(backendPorts, root = ROOT) {
  const source = readFileSync(join(root, 'prometheus', 'prometheus.yml'), 'utf8');
  // The rendered file lives in the data dir: point its rule files back at the repository.
  const withRules = source.replace(/^(\s*-\s*)rules\//gm, `$1${join(root, 'prometheus', 'rules')}/`);
  return withRules.replace(/\bbackend-(\d+):3000\b/g, (_, n) => {
    const port = backendPorts[Number(n) - 1];
    if (port === undefined) throw new Error(`prometheus/prometheus.yml targets backend-${n} but only ${backendPorts.length} backend ports are configured`);
    return `127.0.0.1:${port}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Probes

function httpStatus(url, timeoutMs = 1500) {
  return new Promise((res) => {
    const req = http.get(url, { timeout: timeoutMs, headers: { connection: 'close' } }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => res(0));
  });
}

/** Connect, optionally send `payload`, resolve true when `accept(buffer)` says so (false on error/timeout). */
function tcpProbe(port, payload, accept = () => true, timeoutMs = 1500) {
  return new Promise((res) => {
    let buf = Buffer.alloc(0);
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      sock.destroy();
      res(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('close', () => done(false)); // no-op when already settled
    sock.on('connect', () => (payload ? sock.write(payload) : done(true)));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (accept(buf)) done(true);
    });
  });
}

const redisPing = (port) => tcpProbe(port, 'PING\r\n', (b) => b.toString().startsWith('+PONG'));

/** MongoDB wire `{ ping: 1 }` as one OP_MSG; ready when the reply carries `ok: 1.0`. */
function mongoPing(port) {
  const cstr = (s) => Buffer.from(`${s}\0`);
  const int32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return b;
  };
  const body = Buffer.concat([Buffer.from([0x10]), cstr('ping'), int32(1), Buffer.from([0x02]), cstr('$db'), int32(6), cstr('admin'), Buffer.from([0])]);
  const doc = Buffer.concat([int32(body.length + 4), body]);
  const msg = Buffer.concat([int32(0), Buffer.from([0]), doc]); // flagBits, then section kind 0 (body)
  const header = Buffer.concat([int32(16 + msg.length), int32(1), int32(0), int32(2013)]);
  const okDouble = Buffer.from([0x01, 0x6f, 0x6b, 0x00, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  return tcpProbe(port, Buffer.concat([header, msg]), (b) => b.length >= 16 && b.length >= b.readInt32LE(0) && b.includes(okDouble));
}

/** True when nothing listens on `port` (checked on 127.0.0.1, and on all interfaces for `public`). */
function portFree(port, host) {
  return new Promise((res) => {
    const srv = net.createServer();
    srv.once('error', (err) => res(err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL'));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => res(true)));
  });
}

// ---------------------------------------------------------------------------------------------
// Processes

function tail(file, lines = 25) {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Alive and not a zombie. */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function signal(pid, sig, group = false) {
  try {
    process.kill(group ? -pid : pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stop one process: its stop signal (or `firstSignal`), then the escalation signal, then SIGKILL
 * to its whole process group, each after `timeoutMs`. `exited()` reports whether it is gone.
 */
async function stopProcess(pid, kind, exited = () => !isAlive(pid), firstSignal = STOP[kind].signal) {
  const { timeoutMs, escalate } = STOP[kind];
  const sig = firstSignal;
  const waitGone = async (ms) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (exited()) return true;
      await sleep(100);
    }
    return exited();
  };
  if (exited()) return 'gone';
  signal(pid, sig);
  if (await waitGone(timeoutMs)) return 'stopped';
  if (escalate) {
    signal(pid, escalate);
    if (await waitGone(5_000)) return `stopped after ${escalate}`;
  }
  signal(pid, 'SIGKILL', true);
  signal(pid, 'SIGKILL');
  await waitGone(5_000);
  return 'killed';
}

class Supervisor {
  constructor({ dataDir, log, owner }) {
    this.dataDir = dataDir;
    this.log = log;
    this.owner = owner;
    this.services = new Map(); // name -> { name, kind, pid, child, logFile, exit: null | { code, signal } }
    this.launchers = new Map(); // name -> async () => svc: spawns the service and waits until it is ready
    this.failure = null; // set when a service dies while the cluster is starting
    this.starting = true;
    this.stopping = null;
    this.onExit = null;
    this.state = { pid: process.pid, owner, startedAt: new Date().toISOString(), dataDir, services: {} };
    this.exitHook = () => this.killAllNow();
    process.on('exit', this.exitHook);
  }

  /** `oneShot`: a tool expected to exit (its exit is not a failure). */
  spawn(name, cmd, args, { env = process.env, cwd = this.dataDir, uid, gid, oneShot = false } = {}) {
    if (this.stopping) throw new Error(`not starting ${name}: the cluster is stopping`);
    const logFile = join(this.dataDir, 'logs', `${name}.log`);
    const fd = openSync(logFile, 'a');
    writeSync(fd, `\n=== ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
    let child;
    try {
      // Own process group: a terminal Ctrl-C reaches only this script, which stops things in order.
      child = spawn(cmd, args, { cwd, env, stdio: ['ignore', fd, fd], detached: true, ...(uid !== undefined ? { uid, gid } : {}) });
    } finally {
      closeSync(fd);
    }
    const svc = { name, kind: kindOf(name), pid: child.pid, child, logFile, exit: null, oneShot };
    this.services.set(name, svc);
    child.on('error', (err) => {
      svc.exit ??= { code: null, signal: null, error: err.message };
      this.noteFailure(svc);
    });
    child.on('exit', (code, sig) => {
      svc.exit = { code, signal: sig };
      this.noteFailure(svc);
    });
    if (child.pid) {
      writeFileSync(join(this.dataDir, 'pids', `${name}.pid`), `${child.pid}\n`);
      this.state.services[name] = { pid: child.pid, kind: svc.kind, exe: cmd };
      this.saveState();
    }
    return svc;
  }

  noteFailure(svc) {
    // `deliberate`: stopped through kill(); not a failure.
    if (this.stopping || svc.oneShot || svc.deliberate) return;
    const how = svc.exit.error ?? (svc.exit.signal ? `signal ${svc.exit.signal}` : `code ${svc.exit.code}`);
    const err = new Error(`${svc.name} exited during start (${how}). Last lines of ${svc.logFile}:\n${tail(svc.logFile)}`);
    if (this.starting) this.failure ??= err;
    else this.onExit?.(svc, how);
  }

  saveState() {
    const file = join(this.dataDir, 'cluster.json');
    writeFileSync(`${file}.tmp`, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  /** Poll `check` until it returns true; fail early if any service died or `signal` aborted. */
  async waitFor(what, check, { timeoutMs = 30_000, svc, abort } = {}) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      if (svc?.exit && !svc.oneShot) throw new Error(`${svc.name} exited while starting. Last lines of ${svc.logFile}:\n${tail(svc.logFile)}`);
      if (abort?.aborted) throw new Error('start aborted');
      if (await check()) return;
      if (Date.now() > until) {
        const logs = svc ? `\nLast lines of ${svc.logFile}:\n${tail(svc.logFile)}` : '';
        throw new Error(`${what} not ready after ${timeoutMs / 1000}s${logs}`);
      }
      await sleep(200);
    }
  }

  /** Registers how `name` is started (spawn, then wait until ready) and starts it. */
  define(name, launch) {
    this.launchers.set(name, launch);
    return launch();
  }

  /**
   * Stops one service with `sig` (default: its kind's stop signal), escalating as stop() does if
   * it overruns its stop timeout. Its exit is not reported as a failure.
   */
  async kill(name, sig) {
    const svc = this.services.get(name);
    if (!svc) throw new Error(`no service named ${name}`);
    const signal = sig ?? STOP[svc.kind].signal;
    if (svc.exit !== null) return { name, pid: svc.pid, signal, result: 'gone', exitedInMs: 0, exit: svc.exit };
    svc.deliberate = true;
    const started = Date.now();
    const result = await stopProcess(svc.pid, svc.kind, () => svc.exit !== null, signal);
    this.log(`stop      ${name} (pid ${svc.pid}, ${signal}): ${result} in ${Date.now() - started} ms`);
    return { name, pid: svc.pid, signal, result, exitedInMs: Date.now() - started, exit: svc.exit };
  }

  /** Starts a service stopped by kill() again, the way the cluster first started it, and waits until it is ready. */
  async relaunch(name) {
    const launch = this.launchers.get(name);
    if (!launch) throw new Error(`no service named ${name}`);
    if (this.stopping) throw new Error(`not starting ${name}: the cluster is stopping`);
    const current = this.services.get(name);
    if (current && current.exit === null) throw new Error(`${name} is still running (pid ${current.pid})`);
    const started = Date.now();
    const svc = await launch();
    this.log(`start     ${name} (pid ${svc.pid}): ready in ${Date.now() - started} ms`);
    return { name, pid: svc.pid, readyInMs: Date.now() - started };
  }

  stop() {
    this.stopping ??= (async () => {
      for (const wave of STOP_WAVES) {
        const targets = [...this.services.values()].filter((s) => wave.includes(s.kind) && s.pid);
        await Promise.all(
          targets.map(async (s) => {
            const result = await stopProcess(s.pid, s.kind, () => s.exit !== null);
            if (result === 'killed' || result.startsWith('stopped after')) this.log(`stop      ${s.name}: ${result}`);
          }),
        );
      }
      for (const name of this.services.keys()) rmSync(join(this.dataDir, 'pids', `${name}.pid`), { force: true });
      rmSync(join(this.dataDir, 'cluster.json'), { force: true });
      process.off('exit', this.exitHook);
    })();
    return this.stopping;
  }

  /** Last resort when this process exits without stop(): send every child its stop signal. */
  killAllNow() {
    for (const s of this.services.values()) if (s.exit === null && s.pid) signal(s.pid, STOP[s.kind].signal);
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL as a non-root user

function lookupUser(name) {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** When root: the (created on demand) system user that owns the Postgres data; otherwise null. */
function postgresIdentity() {
  if (process.getuid?.() !== 0) return null;
  let user = lookupUser(PG_OS_USER);
  if (!user) {
    const res = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', PG_OS_USER], { encoding: 'utf8' });
    user = lookupUser(PG_OS_USER); // a concurrent start may have created it first
    if (!user) throw new Error(`PostgreSQL refuses to run as root and creating system user "${PG_OS_USER}" failed: ${res.stderr || res.error?.message}`);
  }
  return user;
}

/** Whether `dir` and every ancestor of it are searchable by an unprivileged user (Postgres must reach its data). */
function traversable(dir) {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

/**
 * Where an unprivileged Postgres keeps what would go under `dataDir` when it cannot reach
 * `dataDir` (a data dir inside a private directory, such as one made by `mktemp -d`): a directory
 * of its own, named after the data dir, in the world-searchable /var/tmp.
 */
const outsideDir = (dataDir) => join('/var/tmp', `cobalt-${createHash('sha1').update(resolve(dataDir)).digest('hex').slice(0, 12)}`);

/**
 * Unix socket directory of a PostgreSQL server: `<dataDir>/run` when the server can reach it and
 * its socket path fits the ~107-byte limit, else a directory under /tmp named after the data dir.
 */
function socketDirFor(dataDir, port, reachable = true) {
  const runDir = join(dataDir, 'run');
  if (reachable && join(runDir, `.s.PGSQL.${port}`).length < 100) return runDir;
  return join('/tmp', `cobalt-run-${createHash('sha1').update(dataDir).digest('hex').slice(0, 12)}`);
}

/**
 * The data directory a Postgres server runs on: `pgDir` itself, or, when the server cannot reach
 * it, the same place under outsideDir() with `pgDir` a link to it. A data dir removed with its
 * link starts afresh: a target without its link is emptied first.
 */
function postgresDataDir(dataDir, pgDir, reachable) {
  if (reachable) return pgDir;
  // What data dirs removed since left behind there goes first (each names its data dir).
  for (const entry of readdirSync('/var/tmp').filter((e) => e.startsWith('cobalt-'))) {
    const origin = join('/var/tmp', entry, 'data-dir');
    if (existsSync(origin) && !existsSync(readFileSync(origin, 'utf8'))) rmSync(join('/var/tmp', entry), { recursive: true, force: true });
  }
  mkdirSync(outsideDir(dataDir), { recursive: true });
  writeFileSync(join(outsideDir(dataDir), 'data-dir'), resolve(dataDir));
  const target = join(outsideDir(dataDir), relative(dataDir, pgDir));
  const linked = existsSync(pgDir) && lstatSync(pgDir).isSymbolicLink() && readlinkSync(pgDir) === target;
  if (!linked) {
    rmSync(pgDir, { recursive: true, force: true });
    rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(pgDir), { recursive: true });
    symlinkSync(target, pgDir);
  }
  for (let d = dirname(target); d !== '/var/tmp' && d !== dirname(d); d = dirname(d)) {
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o755);
  }
  return target;
}

/**
 * One PostgreSQL server as service `name`: initdb on first use, then postgres, ready once it
 * answers and `database` exists. `tcp: false` listens on its Unix socket only (`port` then just
 * names the socket file).
 */
/**
 * FerretDB v1 pushes an equality filter down to PostgreSQL as `_jsonb->'field' @> value`, which
 * the B-tree indexes it creates for each MongoDB index cannot serve: every query scans its whole
 * table. Each such index gets a GIN twin over the same fields, which serves `@>`, so a lookup reads
 * only the rows it matches. Run once the backends have created their collections and indexes.
 * `logs` is written, never read by a lookup, so it gets none: each index costs every insert.
 */
async function indexFerretStore({ dataDir, port, reachable }) {
  const bin = findPostgresBin();
  const sql = `
DO $$
DECLARE r record; cols text;
BEGIN
  FOR r IN
    SELECT n.nspname AS schema, t.relname AS tbl, i.relname AS idx, x.indexrelid AS oid, x.indnatts AS n
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = i.relam
    WHERE am.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'public')
      AND t.relname NOT LIKE '\\_ferretdb\\_%' AND t.relname NOT LIKE 'logs\\_%' AND pg_get_indexdef(x.indexrelid) LIKE '%_jsonb -> %'
  LOOP
    SELECT string_agg('(' || pg_get_indexdef(r.oid, k, true) || ') jsonb_path_ops', ', ' ORDER BY k) INTO cols FROM generate_series(1, r.n) AS k;
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin (%s)', left(r.idx, 55) || '_eq', r.schema, r.tbl, cols);
  END LOOP;
END $$;`;
  await execFileAsync(join(bin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDirFor(dataDir, port, reachable), '-p', String(port), '-U', DB_USER, '-d', 'ferretdb', '-c', sql], {
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    timeout: 60_000,
  });
}

async function startPostgres(sup, { name = 'postgres', dataDir, pgDir: linkDir = join(dataDir, 'postgres'), port, database = DB_NAME, tcp = true, reachable, abort }) {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (run node scripts/setup.mjs)');
  const who = postgresIdentity();
  const pgDir = postgresDataDir(dataDir, linkDir, reachable);
  const runDir = socketDirFor(dataDir, port, reachable);
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  mkdirSync(runDir, { recursive: true });
  if (who) {
    chownSync(pgDir, who.uid, who.gid);
    chownSync(runDir, who.uid, who.gid);
  }
  chmodSync(pgDir, 0o700);
  const asUser = who ? { uid: who.uid, gid: who.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };

  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    const initName = `${name === 'postgres' ? '' : `${name}-`}initdb`;
    const init = sup.spawn(initName, join(bin, 'initdb'), ['-D', pgDir, '-U', DB_USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'], { env, ...asUser, oneShot: true });
    const [code] = await new Promise((r) => init.child.once('exit', (...a) => r(a)));
    sup.services.delete(initName);
    rmSync(join(dataDir, 'pids', `${initName}.pid`), { force: true });
    delete sup.state.services[initName];
    if (code !== 0) throw new Error(`initdb failed (exit ${code}). Last lines of ${init.logFile}:\n${tail(init.logFile)}`);
    // Listening on 127.0.0.1 (or no TCP at all); trust is limited to loopback and the private socket dir.
    writeFileSync(join(pgDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n');
    if (who) chownSync(join(pgDir, 'pg_hba.conf'), who.uid, who.gid);
  }

  const svc = sup.spawn(name, join(bin, 'postgres'), ['-D', pgDir, '-p', String(port), '-h', tcp ? '127.0.0.1' : '', '-k', runDir], { env, ...asUser });
  const host = tcp ? '127.0.0.1' : runDir;
  const psql = (sql) => execFileAsync(join(bin, 'psql'), ['-X', '-q', '-h', host, '-p', String(port), '-U', DB_USER, '-d', 'postgres', '-tAc', sql], { env, timeout: 5_000 });
  await sup.waitFor(name, () => psql('SELECT 1').then(() => true, () => false), { timeoutMs: 30_000, svc, abort });
  const { stdout } = await psql(`SELECT 1 FROM pg_database WHERE datname = '${database}'`);
  if (stdout.trim() !== '1') await psql(`CREATE DATABASE ${database}`);
  return svc;
}

// ---------------------------------------------------------------------------------------------
// The cluster

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
 * @param {AbortSignal} [opts.signal]        abort a start in progress
 * @param {(line: string) => void} [opts.log]
 * @param {(svc: {name: string}, how: string) => void} [opts.onExit]  a service died after start
 * @returns {Promise<{ urls: object, ports: object, dataDir: string, backendEnv: object, services: () => object[],
 *   kill: (name: string, signal?: string) => Promise<object>, start: (name: string) => Promise<object>,
 *   restart: (name: string, opts?: { signal?: string }) => Promise<object>, stop: () => Promise<void> }>}
 *   `kill` stops one service (default: its usual stop signal; e.g. 'SIGKILL' for a crash) and
 *   resolves once it has exited; `start` starts it again as at cluster start and resolves once it
 *   is ready; `restart` does both. Services: caddy, prometheus, backend-N, postgres, redis, mongo.
 */
export async function startCluster(opts = {}) {
  const root = resolve(opts.root ?? ROOT);
  const log = opts.log ?? ((line) => console.log(line));
  const dataDir = resolveDataDir(opts.dataDir, root);
  const ports = resolvePorts(opts);
  const withBackends = opts.backends !== false;
  const backendEntry = resolve(root, opts.backendEntry ?? join('backend', 'dist', 'main.js'));
  const started = Date.now();

  if (opts.setup !== false) await setup({ root, log, ...(typeof opts.setup === 'object' ? opts.setup : {}) });

  const previous = readState(dataDir);
  if (previous) {
    const running = Object.entries(previous.services ?? {}).filter(([, s]) => isAlive(s.pid));
    if ((previous.owner === 'cli' && isAlive(previous.pid) && previous.pid !== process.pid) || running.length) {
      throw new Error(`a cluster is already running in ${dataDir} (${running.map(([n, s]) => `${n} ${s.pid}`).join(', ') || `pid ${previous.pid}`}); stop it with: COBALT_DATA_DIR=${dataDir} node scripts/cluster.mjs stop`);
    }
  }

  const wanted = [
    ['http', ports.http, 'caddy (public entry)', true],
    ...(withBackends ? ports.backends.map((p, i) => ['backends', p, `backend-${i + 1}`]) : []),
    ['postgres', ports.postgres, 'postgres'],
    ['redis', ports.redis, 'redis'],
    ['mongo', ports.mongo, 'mongo'],
    ['prometheus', ports.prometheus, 'prometheus'],
    ...(ports.caddyAdmin ? [['caddyAdmin', ports.caddyAdmin, 'caddy admin API']] : []),
  ];
  const taken = [];
  for (const [key, port, what, everywhere] of wanted) {
    const free = (await portFree(port, '127.0.0.1')) && (!everywhere || (await portFree(port, '::')));
    if (!free) taken.push(`port ${port} for ${what} is already in use (set ${PORT_ENV[key]}, or pass portOffset)`);
  }
  if (taken.length) throw new Error(taken.join('\n'));

  if (withBackends && !existsSync(backendEntry)) throw new Error(`${backendEntry} does not exist: build the backend (npm run build -w backend) or start with backends: false`);
  const mongo = mongoServer(root);
  if (!existsSync(mongo.bin)) throw new Error(`${mongo.bin} not found (run node scripts/setup.mjs)`);
  const caddyBin = which('caddy');
  const prometheusBin = which('prometheus');
  const redisBin = which('redis-server');
  if (!caddyBin || !prometheusBin || !redisBin) throw new Error('caddy, prometheus or redis-server missing (run node scripts/setup.mjs)');

  for (const d of ['logs', 'pids', 'redis', 'mongo', 'prometheus', 'caddy']) mkdirSync(join(dataDir, d), { recursive: true });
  const sup = new Supervisor({ dataDir, log, owner: opts.owner ?? 'library' });
  sup.state.ports = ports;
  sup.onExit = opts.onExit;
  const abort = opts.signal;

  const urls = {
    public: `http://127.0.0.1:${ports.http}`,
    backends: withBackends ? ports.backends.map((p) => `http://127.0.0.1:${p}`) : [],
    postgres: `postgresql://${DB_USER}@127.0.0.1:${ports.postgres}/${DB_NAME}`,
    redis: `redis://127.0.0.1:${ports.redis}`,
    mongo: `mongodb://127.0.0.1:${ports.mongo}/${DB_NAME}`,
    prometheus: `http://127.0.0.1:${ports.prometheus}`,
  };
  const backendEnv = {
    NODE_ENV: opts.nodeEnv ?? 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: urls.postgres,
    MONGO_URL: urls.mongo,
    REDIS_URL: urls.redis,
    JWT_SECRET: jwtSecret(dataDir),
    CORS_ORIGINS: `http://localhost:${ports.http},http://127.0.0.1:${ports.http},http://localhost:5173`,
    TRUST_PROXY: 'loopback',
    LOG_LEVEL: 'info',
    ...opts.env,
  };

  try {
    // Infrastructure, all at once. Each service is defined by how it starts (spawn, then wait
    // until ready), so a fault test can stop one and start it again the same way.
    const redisDir = join(dataDir, 'redis');
    const mongoDir = join(dataDir, 'mongo');
    const promConfig = join(dataDir, 'prometheus.yml');
    writeFileSync(promConfig, renderPrometheusConfig(ports.backends, root));

    // Postgres runs unprivileged when we are root; whether it can reach the data dir decides
    // where its files go (see postgresDataDir).
    const pgReachable = !postgresIdentity() || traversable(dataDir);
    // The MongoDB-wire server's own store (FerretDB only), started first; see `mongo` below.
    const storeReady =
      mongo.kind === 'mongod'
        ? Promise.resolve(null)
        : sup.define('mongo-store', () => startPostgres(sup, { name: 'mongo-store', dataDir, pgDir: join(mongoDir, 'postgres'), port: ports.mongo, database: 'ferretdb', tcp: false, reachable: pgReachable, abort }));
    storeReady.catch(() => undefined); // awaited by `mongo`; its failure is reported there
    await Promise.all([
      storeReady,
      sup.define('postgres', () => startPostgres(sup, { dataDir, port: ports.postgres, reachable: pgReachable, abort })),
      sup.define('redis', async () => {
        // Redis holds only transient state (Socket.IO pub/sub, rate-limit windows), so no persistence.
        const redis = sup.spawn('redis', redisBin, ['--port', String(ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir, '--daemonize', 'no', '--logfile', '']);
        await sup.waitFor('redis', () => redisPing(ports.redis), { svc: redis, abort });
        return redis;
      }),
      sup.define('mongo', async () => {
        let mongoProc;
        if (mongo.kind === 'mongod') {
          mongoProc = sup.spawn('mongo', mongo.bin, ['--dbpath', mongoDir, '--port', String(ports.mongo), '--bind_ip', '127.0.0.1', '--quiet']);
        } else {
          // FerretDB keeps its data in a PostgreSQL server of its own (socket only), apart from the
          // cluster's: a Postgres outage must not take the todo store with it, as in production
          // where MongoDB is a separate server. Its PostgreSQL handler pushes filters, sorts and
          // limits down to SQL; the SQLite handler decodes every document of a collection per query.
          await storeReady;
          const url = `postgres://${DB_USER}@/ferretdb?host=${socketDirFor(dataDir, ports.mongo, pgReachable)}&port=${ports.mongo}`;
          mongoProc = sup.spawn('mongo', mongo.bin, ['--handler=postgresql', `--postgresql-url=${url}`, `--listen-addr=127.0.0.1:${ports.mongo}`, `--state-dir=${mongoDir}`, '--debug-addr=-', '--telemetry=disable', '--log-level=warn']);
        }
        await sup.waitFor('mongo', () => mongoPing(ports.mongo), { svc: mongoProc, abort });
        return mongoProc;
      }),
      sup.define('prometheus', async () => {
        const prometheus = sup.spawn('prometheus', prometheusBin, [
          `--config.file=${promConfig}`,
          `--storage.tsdb.path=${join(dataDir, 'prometheus')}`,
          '--storage.tsdb.retention.time=7d',
          `--web.listen-address=127.0.0.1:${ports.prometheus}`,
        ]);
        await sup.waitFor('prometheus', async () => (await httpStatus(`${urls.prometheus}/-/ready`)) === 200, { svc: prometheus, abort });
        return prometheus;
      }),
    ]);

    // Backends, all at once: each applies pending migrations under a Postgres advisory lock.
    if (withBackends) {
      await Promise.all(
        ports.backends.map((port, i) =>
          sup.define(`backend-${i + 1}`, async () => {
            const svc = sup.spawn(`backend-${i + 1}`, process.execPath, ['--enable-source-maps', backendEntry], {
              cwd: join(root, 'backend'),
              env: { ...process.env, ...backendEnv, INSTANCE_ID: `backend-${i + 1}`, PORT: String(port) },
            });
            await sup.waitFor(svc.name, async () => (await httpStatus(`${urls.backends[i]}/health/ready`)) === 200, { timeoutMs: 90_000, svc, abort });
            return svc;
          }),
        ),
      );
    }

    if (withBackends && mongo.kind === 'ferretdb') await indexFerretStore({ dataDir, port: ports.mongo, reachable: pgReachable });

    const caddyDir = join(dataDir, 'caddy');
    await sup.define('caddy', async () => {
      const caddy = sup.spawn('caddy', caddyBin, ['run', '--config', join(root, 'caddy', 'Caddyfile'), '--adapter', 'caddyfile'], {
        cwd: caddyDir,
        env: {
          ...process.env,
          CADDY_PORT: String(ports.http),
          CADDY_ADMIN: ports.caddyAdmin ? `127.0.0.1:${ports.caddyAdmin}` : 'off',
          // Without backends, one upstream nobody listens on keeps the Caddyfile valid.
          BACKEND_UPSTREAMS: withBackends ? ports.backends.map((p) => `127.0.0.1:${p}`).join(' ') : '127.0.0.1:1',
          FRONTEND_DIST: join(root, 'frontend', 'dist'),
          HOME: caddyDir,
          XDG_DATA_HOME: join(caddyDir, 'data'),
          XDG_CONFIG_HOME: join(caddyDir, 'config'),
        },
      });
      await sup.waitFor('caddy', async () => {
        const status = await httpStatus(`${urls.public}${withBackends ? '/health/ready' : '/'}`);
        return withBackends ? status === 200 : status > 0;
      }, { svc: caddy, abort });
      return caddy;
    });
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
    mongoKind: mongo.kind,
    backendEnv,
    startedInMs: Date.now() - started,
    services: () => [...sup.services.values()].map(({ name, pid, logFile, exit, deliberate }) => ({ name, pid, logFile, exit, deliberate: deliberate === true })),
    kill: (name, sig) => sup.kill(name, sig),
    start: (name) => sup.relaunch(name),
    restart: async (name, { signal: sig } = {}) => {
      const stopped = await sup.kill(name, sig);
      const started = await sup.relaunch(name);
      return { ...stopped, pid: started.pid, stoppedPid: stopped.pid, readyInMs: started.readyInMs };
    },
    stop: () => sup.stop(),
  };
}

function readState(dataDir) {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Stop a cluster started by another process, from `<dataDir>/cluster.json`. A `start` still in the
 * foreground is asked to stop (SIGTERM) and does it in order; whatever is left, or everything when
 * that process is gone, is stopped here directly, in the same order and manner.
 */
export async function stopCluster({ dataDir: dir, root = ROOT, log = console.log } = {}) {
  const dataDir = resolveDataDir(dir, root);
  const state = readState(dataDir);
  if (!state) {
    log(`stop      nothing recorded in ${dataDir}`);
    return false;
  }
  if (state.owner === 'cli' && state.pid !== process.pid && isAlive(state.pid)) {
    signal(state.pid, 'SIGTERM');
    const until = Date.now() + 60_000;
    while (isAlive(state.pid) && Date.now() < until) await sleep(200);
  }
  const services = Object.entries(state.services ?? {}).map(([name, s]) => ({ name, ...s }));
  for (const wave of STOP_WAVES) {
    await Promise.all(
      services
        .filter((s) => wave.includes(s.kind))
        .map(async (s) => {
          // Only signal a pid that still runs the program it was started as (pids get reused).
          // (Redis and Postgres rewrite their process titles, so match the program name loosely.)
          const running = isAlive(s.pid) && cmdline(s.pid).join(' ').includes(basename(s.exe));
          if (!running) return;
          const result = await stopProcess(s.pid, kindOf(s.name));
          log(`stop      ${s.name} (pid ${s.pid}): ${result}`);
        }),
    );
  }
  for (const s of services) rmSync(join(dataDir, 'pids', `${s.name}.pid`), { force: true });
  rmSync(join(dataDir, 'cluster.json'), { force: true });
  log(`stop      cluster in ${dataDir} stopped`);
  return true;
}

function status({ dataDir: dir, root = ROOT } = {}) {
  const dataDir = resolveDataDir(dir, root);
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

// ---------------------------------------------------------------------------------------------
// CLI

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
             COBALT_REDIS_PORT 56379, COBALT_MONGO_PORT 57017, COBALT_PROMETHEUS_PORT 9090, COBALT_CADDY_ADMIN_PORT (off)`;

async function cliStart(opts) {
  const abort = new AbortController();
  let cluster = null;
  let signals = 0;
  const onSignal = async (sig) => {
    signals += 1;
    if (signals > 1) {
      console.log(`\n${sig} again: exiting now (stray processes: node scripts/cluster.mjs stop)`);
      process.exit(1);
    }
    console.log(`\n${sig}: stopping the cluster...`);
    abort.abort();
    if (cluster) {
      await cluster.stop();
      console.log('cluster   stopped');
      process.exit(0);
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, onSignal);

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
    console.error(`\ncluster failed to start: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
  if (abort.signal.aborted) {
    await cluster.stop();
    process.exit(0);
  }
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

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
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
}
