// The cluster's FerretDB binary on its own over SQLite (the cluster's store before it moved to
// PostgreSQL), for `node bench/profile.mjs --store sqlite`.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { mongoServer } from '../../scripts/lib/executables.mjs';

/** Starts FerretDB over SQLite in `dataDir` on `port`; `stop()` ends it. */
export async function startFerretOnSqlite({ port, dataDir }) {
  const bin = mongoServer().bin;
  const dir = join(dataDir, 'ferretdb-sqlite');
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, 'ferretdb.log'), 'a');
  let child;
  try {
    child = spawn(
      bin,
      ['--handler=sqlite', `--sqlite-url=file:${dir}/`, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${dir}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error'],
      { stdio: ['ignore', fd, fd] },
    );
  } finally {
    closeSync(fd);
  }
  const url = `mongodb://127.0.0.1:${port}/`;
  process.on('exit', () => child.exitCode === null && child.kill('SIGTERM'));
  for (let i = 0; i < 100; i++) {
    try {
      const c = await MongoClient.connect(url, { serverSelectionTimeoutMS: 500 });
      await c.db('admin').command({ ping: 1 });
      await c.close();
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`FerretDB (sqlite) exited; see ${dir}/ferretdb.log`);
      await sleep(100);
    }
  }
  return {
    url,
    pid: child.pid,
    stop: () => new Promise((/** @type {(value?: unknown) => void} */ resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))),
  };
}
