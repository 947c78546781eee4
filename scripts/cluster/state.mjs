// Where a cluster lives, and what it records there: <dataDir>/cluster.json says what runs.
import { join, resolve } from 'node:path';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { ROOT } from '../lib/root.mjs';

export function resolveDataDir(dataDir, root = ROOT) {
  return resolve(root, dataDir ?? process.env.COBALT_DATA_DIR ?? join('.data', 'cluster'));
}

export function readState(dataDir) {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8'));
  } catch {
    return null;
  }
}

export function writeState(dataDir, state) {
  const file = join(dataDir, 'cluster.json');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** Forgets a stopped cluster: its pid files and cluster.json. */
export function clearState(dataDir, serviceNames) {
  for (const name of serviceNames) rmSync(join(dataDir, 'pids', `${name}.pid`), { force: true });
  rmSync(join(dataDir, 'cluster.json'), { force: true });
}
