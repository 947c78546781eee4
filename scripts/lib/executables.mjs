// Where the programs the cluster and the tests run are on this machine.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT } from './root.mjs';

/** Absolute path of an executable found on PATH (plus `extraDirs`), or null. */
export function which(name, extraDirs = [], env = process.env) {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Highest-version PostgreSQL server bin dir (/usr/lib/postgresql/<v>/bin containing initdb), or null. */
export function findPostgresBin() {
  const base = '/usr/lib/postgresql';
  let versions = [];
  try {
    versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'postgres')));
  } catch {
    /* no postgres installed */
  }
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions.length ? join(base, versions[0], 'bin') : null;
}

/** Which mongo-wire server to use: { kind: 'mongod'|'ferretdb', bin }. Does not build anything. */
export function mongoServer(root = ROOT) {
  const mongod = which('mongod');
  if (mongod) return { kind: 'mongod', bin: mongod };
  return { kind: 'ferretdb', bin: join(root, '.tools', 'bin', 'ferretdb') };
}

/** Chromium's names on PATH: Debian's package, Ubuntu's (usually a snap), and Google's builds. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];
/** Where it is when not on PATH: snaps (/snap/bin is not on every PATH) and the packages' own dirs. */
export const CHROMIUM_PATHS = ['/snap/bin/chromium', '/snap/bin/chromium-browser', '/usr/lib/chromium/chromium', '/usr/lib/chromium-browser/chromium-browser'];

/**
 * A Chromium that starts, or null: COBALT_CHROMIUM when set, else the first of CHROMIUM_NAMES on
 * PATH, else of CHROMIUM_PATHS. It must answer `--version`: on Ubuntu without snapd,
 * /usr/bin/chromium-browser is a stub that only says to install the snap.
 */
export function findChromium({ env = process.env, paths = CHROMIUM_PATHS } = {}) {
  const candidates = env.COBALT_CHROMIUM ? [env.COBALT_CHROMIUM] : [...CHROMIUM_NAMES.map((name) => which(name, [], env)), ...paths];
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue;
    const res = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'], env });
    if (res.status === 0 && /chrom/i.test(res.stdout)) return candidate;
  }
  return null;
}
