// The FerretDB floor: what the store costs per command on its own, under the exact command shapes
// one write, one list page and one `sync` bucket make, sent one at a time by the bench itself
// (MongoDB driver) straight to the bench cluster's FerretDB, in a scratch database; with the
// collections holding no other documents and then 20,000 of other users. CPU of FerretDB and of
// its own PostgreSQL per command: the floor the backends' per-write store cost is compared with.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient, ObjectId } from 'mongodb';
import { ginTwinsSql } from '../../scripts/cluster/ferret-indexes.mjs';
import { findPostgresBin } from '../../scripts/lib/executables.mjs';
import { processTree } from '../lib/cluster.mjs';
import { summarize } from '../lib/stats.mjs';

const execFileAsync = promisify(execFile);
const DB = 'bench_floor';
const USER = 'floor-user';
// As the backend's todo-model.ts: buckets of 32 positions and seqs, writes waiting for the journal.
const BUCKET = 32;
const DURABLE = { w: 'majority', j: true };

/** The commands measured, in order; `kind` says what each stands for. */
export const FLOOR_COMMANDS = [
  { key: 'createPair', label: 'insertMany [entry, todo] ordered (a create)', kind: 'write' },
  { key: 'insertEntry', label: 'insert entry (string _id; an update or delete)', kind: 'write' },
  { key: 'insertTodo', label: 'insert todo alone', kind: 'write' },
  { key: 'findAndModify', label: 'findAndModify {_id, userId, alive, seq $lt} $set/$inc', kind: 'write' },
  { key: 'listPage', label: 'find {userId, pb, alive} (list page bucket)', kind: 'read' },
  { key: 'syncBucket', label: 'find {userId, sb} (sync bucket)', kind: 'read' },
  { key: 'ping', label: 'ping', kind: 'other' },
];

/** Where FerretDB's own PostgreSQL listens, from FerretDB's command line (--postgresql-url=postgres://user@/db?host=DIR&port=N). */
function ferretPostgres(mongoPid) {
  const args = readFileSync(`/proc/${mongoPid}/cmdline`, 'utf8').split('\0');
  const raw = args.find((a) => a.startsWith('--postgresql-url='))?.slice('--postgresql-url='.length);
  const m = raw ? /^postgres(?:ql)?:\/\/([^@/]*)@([^/]*)\/([^?]+)(?:\?(.*))?$/.exec(raw) : null;
  if (!m) return null;
  const params = new URLSearchParams(m[4] ?? '');
  const [host, port] = m[2].split(':');
  return { user: decodeURIComponent(m[1]), host: params.get('host') ?? host ?? '127.0.0.1', port: params.get('port') ?? port ?? '5432', database: m[3] };
}

/**
 * The cluster gives every B-tree index FerretDB makes a GIN twin that serves its equality
 * pushdown (scripts/cluster.mjs, at start); a scratch database made later gets the same here, so
 * the floor is measured on the indexes the backends' own collections have.
 */
async function ginTwins(pg, schema) {
  const sql = ginTwinsSql(`n.nspname = '${schema}'`);
  const psql = (args) =>
    execFileAsync(
      join(/** @type {string} */ (findPostgresBin()), 'psql'),
      ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', pg.database, ...args],
      { env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, timeout: 60_000 },
    );
  await psql(['-c', sql]);
  const { stdout } = await psql(['-tAc', `SELECT count(*) FROM pg_indexes WHERE schemaname = '${schema}' AND indexdef LIKE '%USING gin%'`]);
  return Number(stdout.trim());
}

/** ANALYZE of every table in `schema`. */
async function analyze(pg, schema) {
  const sql = `DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = '${schema}' LOOP EXECUTE format('ANALYZE %I.%I', '${schema}', r.tablename); END LOOP; END $$;`;
  await execFileAsync(
    join(/** @type {string} */ (findPostgresBin()), 'psql'),
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', pg.database, '-c', sql],
    { env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, timeout: 60_000 },
  );
}

const entryOf = (userId, seq, todoId, pos, at) => ({
  _id: `${userId}:${seq}`,
  userId,
  seq,
  todoId,
  kind: 'created',
  key: `~${seq}`,
  title: `todo ${pos}`,
  pos,
  at,
  hour: Math.floor(at.getTime() / 3_600_000),
});
const todoOf = (userId, seq, pos, at) => ({
  _id: new ObjectId(),
  userId,
  title: `todo ${pos}`,
  completed: false,
  version: 1,
  createdAt: at,
  updatedAt: at,
  deletedAt: null,
  alive: true,
  pos,
  pb: Math.floor(pos / BUCKET),
  seq,
  sb: Math.floor(seq / BUCKET),
  createdSeq: seq,
});

/** Fresh scratch collections with the backend's indexes, `others` documents of other users in each, and the probed user's first 64 todos. */
async function prepare(db, { others, pg }) {
  await db.dropDatabase();
  // Entries and todos share one collection, as in backend/src/components/todos/data-access/todo-store.ts.
  const todos = db.collection('todos');
  const log = todos;
  // The indexes of backend/src/components/todos/data-access/todo-model.ts and todo-retention.ts.
  await todos.createIndex({ userId: 1, pb: 1 });
  await todos.createIndex({ userId: 1, sb: 1 });
  await todos
    .createIndex({ userId: 1, key: 1 }, { unique: true, partialFilterExpression: { key: { $exists: true } } })
    .catch(() => todos.createIndex({ userId: 1, key: 1 }, { unique: true }));
  await todos.createIndex({ hour: 1 });
  await todos.createIndex({ deletedHour: 1 });
  const ginIndexes = pg ? await ginTwins(pg, DB) : null;
  const at = new Date();
  for (let done = 0; done < others; done += 1000) {
    const batch = Array.from({ length: Math.min(1000, others - done) }, (_, j) => {
      const n = done + j;
      const user = `other-${n % 1000}`;
      const seq = Math.floor(n / 1000) + 1;
      return { user, seq, pos: seq - 1 };
    });
    const docs = batch.map((b) => todoOf(b.user, b.seq, b.pos, at));
    await todos.insertMany(docs);
    await log.insertMany(batch.map((b, j) => entryOf(b.user, b.seq, docs[j]._id.toHexString(), b.pos, at)));
  }
  // The probed user: 64 todos (two page buckets), 4 of the first bucket deleted, so a page reads 28.
  const mine = Array.from({ length: 64 }, (_, i) => todoOf(USER, i + 1, i, at));
  for (const d of mine.slice(3, 7)) Object.assign(d, { alive: false, deletedAt: at });
  await todos.insertMany(mine);
  await log.insertMany(mine.map((d) => entryOf(USER, d.seq, d._id.toHexString(), d.pos, at)));
  // Planner statistics of the freshly filled tables, as autovacuum would gather them soon after.
  if (pg) await analyze(pg, DB);
  return { log, todos, seq: 64, pos: 64, ginIndexes };
}

/** Runs `op(i)` `n` times in turn and answers CPU seconds of FerretDB and its PostgreSQL, and wall times. */
async function measure(pids, n, op) {
  const before = { ferret: processTree(pids.mongo), pg: pids.store ? processTree(pids.store) : null };
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op(i);
    ms.push(performance.now() - t);
  }
  const after = { ferret: processTree(pids.mongo), pg: pids.store ? processTree(pids.store) : null };
  const ferretMs = (1000 * (after.ferret.cpuSeconds - before.ferret.cpuSeconds)) / n;
  const pgMs = before.pg && after.pg ? (1000 * (after.pg.cpuSeconds - before.pg.cpuSeconds)) / n : 0;
  return { n, ferretMs, pgMs, totalMs: ferretMs + pgMs, wallMs: summarize(ms) };
}

export async function runFloor({ cluster, sizes, n, warmup = 20, log }) {
  const services = Object.fromEntries(cluster.services().map((s) => [s.name, s.pid]));
  if (!services.mongo) throw new Error('the cluster has no mongo service');
  const pids = { mongo: services.mongo, store: services['mongo-store'] ?? null };
  const pg = cluster.mongoKind === 'ferretdb' ? ferretPostgres(pids.mongo) : null;
  const client = await MongoClient.connect(cluster.urls.mongo, { serverSelectionTimeoutMS: 10_000, maxPoolSize: 1 });
  const rows = [];
  try {
    const db = client.db(DB);
    for (const others of sizes) {
      log(`floor: ${n} of each command, one at a time, with ${others} documents of other users in each collection`);
      const state = await prepare(db, { others, pg });
      const { log: entries, todos } = state;
      let seq = state.seq;
      let pos = state.pos;
      const inserted = [];
      const commands = {
        createPair: async () => {
          seq++;
          const at = new Date();
          const doc = todoOf(USER, seq, pos, at);
          await todos.insertMany([entryOf(USER, seq, doc._id.toHexString(), pos++, at), doc], { ordered: true, writeConcern: DURABLE });
          inserted.push(doc._id);
        },
        insertEntry: async () => {
          seq++;
          const at = new Date();
          await entries.insertOne({ ...entryOf(USER, seq, new ObjectId().toHexString(), pos, at), kind: 'updated', pos: undefined }, { writeConcern: DURABLE });
        },
        insertTodo: async () => {
          const doc = todoOf(USER, seq, pos++, new Date());
          await todos.insertOne(doc, { writeConcern: DURABLE });
          inserted.push(doc._id);
        },
        findAndModify: async (i) => {
          seq++;
          const at = new Date();
          const id = inserted[i % inserted.length];
          const res = await todos.findOneAndUpdate(
            { _id: id, userId: USER, alive: true, seq: { $lt: seq } },
            { $set: { title: `changed ${i}`, updatedAt: at, seq, sb: Math.floor(seq / BUCKET) }, $inc: { version: 1 } },
            { returnDocument: 'after', writeConcern: DURABLE },
          );
          if (!res) throw new Error('findAndModify matched nothing');
        },
        listPage: async () => {
          const docs = await todos.find({ userId: USER, pb: 0, alive: true }).toArray();
          if (docs.length !== BUCKET - 4) throw new Error(`list page read ${docs.length} documents`);
        },
        syncBucket: async () => {
          const docs = await todos.find({ userId: USER, sb: 1 }).toArray();
          if (!docs.length) throw new Error('sync bucket read nothing');
        },
        ping: () => db.command({ ping: 1 }),
      };
      // Warm-up (plans, connections, caches), not measured; the todos it inserts serve the findAndModify.
      for (const c of FLOOR_COMMANDS) for (let i = 0; i < warmup; i++) await commands[c.key](i);
      const row = { others, ginIndexes: state.ginIndexes, commands: {} };
      for (const c of FLOOR_COMMANDS) row.commands[c.key] = await measure(pids, n, commands[c.key]);
      rows.push(row);
      log(`  ${FLOOR_COMMANDS.map((c) => `${c.key} ${row.commands[c.key].totalMs.toFixed(2)} ms`).join(', ')} (FerretDB + its PostgreSQL CPU per command)`);
    }
    await db.dropDatabase();
  } finally {
    await client.close();
  }
  return { n, store: cluster.mongoKind === 'ferretdb' ? 'FerretDB over its own PostgreSQL' : 'mongod', rows };
}
