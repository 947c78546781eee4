// PostgreSQL the way the cluster runs it: as an unprivileged user when this script is root
// (postgres refuses root), with its files and socket where that user can reach them.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { findPostgresBin } from '../lib/executables.mjs';

const execFileAsync = promisify(execFile);

/** OS user that owns and runs PostgreSQL when this script runs as root (postgres refuses root). */
const PG_OS_USER = 'cobalt';
export const DB_NAME = 'cobalt';
export const DB_USER = 'cobalt';

/** Runs psql as DB_USER against `database` on a server (`host`: 127.0.0.1 or its socket dir). */
export function psql({ host, port, database, timeout = 5_000 }, args) {
  const bin = /** @type {string} */ (findPostgresBin());
  return execFileAsync(join(bin, 'psql'), ['-X', '-q', '-h', host, '-p', String(port), '-U', DB_USER, '-d', database, ...args], {
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    timeout,
  });
}

function lookupUser(name) {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** When root: the (created on demand) system user that owns the Postgres data; otherwise null. */
export function postgresIdentity() {
  if (process.getuid?.() !== 0) return null;
  let user = lookupUser(PG_OS_USER);
  if (!user) {
    const res = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', PG_OS_USER], {
      encoding: 'utf8',
    });
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

/** Whether the cluster's Postgres servers can reach `dataDir` (see postgresDataDir). */
export const postgresReaches = (dataDir) => !postgresIdentity() || traversable(dataDir);

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
export function socketDirFor(dataDir, port, reachable = true) {
  const runDir = join(dataDir, 'run');
  if (reachable && join(runDir, `.s.PGSQL.${port}`).length < 100) return runDir;
  return join('/tmp', `cobalt-run-${createHash('sha1').update(dataDir).digest('hex').slice(0, 12)}`);
}

/**
 * The data directory a Postgres server runs on: `pgDir` itself, or, when the server cannot reach
 * it, the same place under outsideDir() with `pgDir` a link to it. A data dir removed with its
 * link starts afresh: a target without its link is emptied first.
 */
export function postgresDataDir(dataDir, pgDir, reachable) {
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
