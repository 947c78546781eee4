// Where the programs the cluster and the tests run are on this machine.
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
