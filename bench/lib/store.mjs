// The MongoDB-wire store as the bench sees it. Each scenario starts from empty todo collections,
// so one scenario's data does not weigh on the next one's numbers.
import { MongoClient } from 'mongodb';

/** Where a comparison store runs beside the bench cluster's ports (bench/profile.mjs --store sqlite). */
export const storeProbePort = (offset = Number(process.env.BENCH_PORT_OFFSET ?? 0)) => 31018 + offset;

/**
 * The collections the bench writes to, under both the current names and those of builds from
 * before the write-path rewrite (`todo_changes`, `idempotency_keys`), so a `--before` build is reset too.
 */
export const BENCH_COLLECTIONS = ['todos', 'todo_log', 'todo_locks', 'todo_changes', 'idempotency_keys', 'logs'];

async function existing(db) {
  const names = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  return BENCH_COLLECTIONS.filter((n) => names.has(n));
}

/** Document counts of the bench's collections that exist. */
export async function collectionSizes(mongoUrl) {
  const client = await MongoClient.connect(mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  try {
    const db = client.db();
    const out = {};
    for (const name of await existing(db)) out[name] = await db.collection(name).countDocuments();
    return out;
  } finally {
    await client.close();
  }
}

/**
 * Empties the todo data (todos, change log, locks, the older build's change log and idempotency
 * keys, request logs) but keeps the collections and their indexes. Per-user heads in Redis stay:
 * a user who wrote before keeps writing from a head, as every user who wrote within the head's
 * lifetime does (their seqs go on from there). `drop: true` drops the collections instead (indexes
 * too), for a switch to another build that creates its own.
 */
export async function resetTodoData(mongoUrl, { drop = false } = {}) {
  const client = await MongoClient.connect(mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  try {
    const db = client.db();
    for (const name of await existing(db)) {
      if (drop) await db.collection(name).drop();
      else await db.collection(name).deleteMany({});
    }
  } finally {
    await client.close();
  }
}
