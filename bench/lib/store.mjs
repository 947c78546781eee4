// The MongoDB-wire store as the bench sees it. Query costs of FerretDB v1 grow with all users'
// data (over SQLite it pushes no filter down at all), so each scenario starts from empty todo
// collections, and the store scenario measures that growth on its own.
import { MongoClient } from 'mongodb';

/** Where the store scenario runs its comparison FerretDB (next to the bench cluster's ports). */
export const storeProbePort = (offset = Number(process.env.BENCH_PORT_OFFSET ?? 0)) => 31018 + offset;

const BENCH_COLLECTIONS = ['todos', 'todo_changes', 'idempotency_keys', 'logs'];

/** Document counts of the collections the bench writes to. */
export async function collectionSizes(mongoUrl) {
  const client = await MongoClient.connect(mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  try {
    const db = client.db();
    const out = {};
    for (const name of BENCH_COLLECTIONS) out[name] = await db.collection(name).countDocuments();
    return out;
  } finally {
    await client.close();
  }
}

/**
 * Empties the todo data (todos, change log, idempotency keys, request logs) but keeps the
 * collections and their indexes, so the next scenario starts from the same volume.
 */
export async function resetTodoData(mongoUrl) {
  const client = await MongoClient.connect(mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  try {
    const db = client.db();
    for (const name of BENCH_COLLECTIONS) await db.collection(name).deleteMany({});
  } finally {
    await client.close();
  }
}
