// The store on its own: what the two queries every todo request makes cost as the collections
// grow (a user's list page, and the last change-log entry a write reads before appending).
// The cluster's FerretDB (over PostgreSQL, which pushes filters down) side by side with the same
// binary over SQLite (the cluster's store before; it pushes nothing down), in a scratch database of each.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { mongoServer } from '../../scripts/setup.mjs';
import { sleep } from '../lib/serve.mjs';

const DB = 'bench_store';

async function timeQueries(run, times) {
  const t = performance.now();
  for (let i = 0; i < times; i++) await run();
  return (performance.now() - t) / times;
}

/** List-page and last-seq query times at each collection size, plus what the server pushed down. */
async function probe(url, sizes, { times = 10 } = {}) {
  const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    const db = client.db(DB);
    await db.dropDatabase();
    const todos = db.collection('todos');
    const changes = db.collection('todo_changes');
    // The same indexes as backend/src/components/todos/data-access/todo-model.ts.
    await todos.createIndex({ userId: 1, createdAt: 1, _id: 1 });
    await changes.createIndex({ userId: 1, seq: 1 }, { unique: true });
    const now = Date.now();
    const todo = (userId, i) => ({ userId, title: `todo ${i}`, completed: false, version: 1, deletedAt: null, createdAt: new Date(now + i), updatedAt: new Date(now + i) });
    await todos.insertMany(Array.from({ length: 40 }, (_, i) => todo('reader', i)));
    await changes.insertMany(Array.from({ length: 40 }, (_, i) => ({ userId: 'reader', seq: i + 1, todoId: `t${i}`, kind: 'created', at: new Date() })));
    const rows = [];
    let others = 0;
    for (const size of sizes) {
      for (; others < size; others += 1000) {
        const n = Math.min(1000, size - others);
        await todos.insertMany(Array.from({ length: n }, (_, j) => todo(`user${(others + j) % 1000}`, others + j)));
        await changes.insertMany(Array.from({ length: n }, (_, j) => ({ userId: `user${(others + j) % 1000}`, seq: Math.floor((others + j) / 1000) + 1, todoId: `x${others + j}`, kind: 'created', at: new Date() })));
      }
      const listPage = () => todos.find({ userId: 'reader', deletedAt: null }).sort({ createdAt: 1, _id: 1 }).limit(21).toArray();
      const lastSeq = () => changes.findOne({ userId: 'reader' }, { projection: { seq: 1 }, sort: { seq: -1 } });
      await listPage();
      rows.push({ otherDocs: size, listPageMs: await timeQueries(listPage, times), lastSeqMs: await timeQueries(lastSeq, times) });
    }
    const explain = await todos.find({ userId: 'reader', deletedAt: null }).sort({ createdAt: 1, _id: 1 }).limit(21).explain();
    await db.dropDatabase();
    return { rows, pushdown: { filter: explain.filterPushdown ?? null, sort: explain.sortPushdown ?? null, limit: explain.limitPushdown ?? null } };
  } finally {
    await client.close();
  }
}

/**
 * The cluster's FerretDB binary on its own, over SQLite in `dataDir` (the cluster's store before it
 * moved to PostgreSQL), for side-by-side runs; `stop()` ends it.
 */
export async function startFerretOnSqlite({ port, dataDir }) {
  const bin = mongoServer().bin;
  const dir = join(dataDir, 'ferretdb-sqlite');
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, 'ferretdb.log'), 'a');
  let child;
  try {
    child = spawn(bin, ['--handler=sqlite', `--sqlite-url=file:${dir}/`, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${dir}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error'], { stdio: ['ignore', fd, fd] });
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
  return { url, pid: child.pid, stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))) };
}

export async function runStore({ cluster, dataDir, sizes, port, log }) {
  const stores = [{ label: cluster.mongoKind === 'mongod' ? 'MongoDB (cluster)' : 'FerretDB on PostgreSQL (cluster)', url: cluster.urls.mongo }];
  let extra = null;
  if (cluster.mongoKind !== 'mongod') {
    extra = await startFerretOnSqlite({ port, dataDir });
    stores.push({ label: 'FerretDB on SQLite (before)', url: extra.url });
  }
  const out = [];
  try {
    for (const s of stores) {
      log(`store ${s.label}: list page and last-seq query at ${sizes.join(', ')} other documents`);
      const r = await probe(s.url, sizes);
      out.push({ store: s.label, ...r });
      log(`  ${r.rows.map((x) => `${x.otherDocs}: ${x.listPageMs.toFixed(1)} / ${x.lastSeqMs.toFixed(1)} ms`).join('; ')}`);
    }
  } finally {
    await extra?.stop();
  }
  return out;
}
