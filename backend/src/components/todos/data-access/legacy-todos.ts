import type { Connection } from 'mongoose';
import { hourOf } from '../../../infra/mongo/expiry.js';
import { isDuplicateKey } from '../../../infra/mongo/connection.js';
import { logger } from '../../../lib/logger.js';
import { DURABLE, pageBucketOf, syncBucketOf, type TodoDocument } from './todo-model.js';

const MIGRATION = 'todos-with-their-latest-change';
const LEASE_MS = 120_000;

type LegacyTodo = Pick<TodoDocument, '_id' | 'userId' | 'createdAt' | 'deletedAt'>;

/**
 * Brings todos written before the change log moved (`todo_changes` and todos without `pos`, `seq`
 * and their buckets) into the current shape, once per database, before an instance serves. Each
 * user's old todos take, in creation order, the next positions and the seqs after the highest seq of
 * the old log, so a client that synced against the old log gets all of them as changes on its next
 * `sync`. Runs under a lock in the store (the first instance to boot does it, the others wait).
 */
export async function migrateLegacyTodos(connection: Connection, options: { migration?: string } = {}): Promise<void> {
  const id = options.migration ?? MIGRATION;
  const migrations = connection.collection<{ _id: string; state: 'running' | 'done'; until?: Date }>('migrations');
  for (const deadline = Date.now() + LEASE_MS + 10_000; ;) {
    const record = await migrations.findOne({ _id: id });
    if (record?.state === 'done') return;
    if (record && record.until && record.until.getTime() < Date.now()) await migrations.deleteOne({ _id: id, state: 'running' });
    try {
      if (!record) {
        await migrations.insertOne({ _id: id, state: 'running', until: new Date(Date.now() + LEASE_MS) }, { writeConcern: DURABLE });
        break;
      }
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`migration ${id} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const todos = connection.collection<LegacyTodo>('todos');
  // Todos of today's shape have a `pos`; change-log entries (`kind`) and tombstone markers share the collection.
  const legacy = await todos
    .find({ pos: { $exists: false }, kind: { $exists: false }, marker: { $exists: false } }, { projection: { userId: 1, createdAt: 1, deletedAt: 1 } })
    .toArray();
  const byUser = new Map<string, LegacyTodo[]>();
  for (const doc of legacy) byUser.set(doc.userId, [...(byUser.get(doc.userId) ?? []), doc]);
  const oldLog = connection.collection<{ userId: string; seq: number }>('todo_changes');
  for (const [userId, docs] of byUser) {
    const last = (await oldLog.find({ userId }, { projection: { seq: 1 } }).toArray()).reduce((max, e) => Math.max(max, e.seq), 0);
    docs.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a._id.toHexString().localeCompare(b._id.toHexString()));
    for (const [i, doc] of docs.entries()) {
      const seq = last + 1 + i;
      const alive = doc.deletedAt === null || doc.deletedAt === undefined;
      await todos.updateOne(
        { _id: doc._id },
        { $set: { pos: i, pb: pageBucketOf(i), seq, sb: syncBucketOf(seq), createdSeq: seq, alive, ...(alive ? {} : { deletedHour: hourOf(doc.deletedAt!) }) } },
        { writeConcern: DURABLE },
      );
    }
  }
  await migrations.updateOne({ _id: id }, { $set: { state: 'done' }, $unset: { until: 1 } }, { writeConcern: DURABLE });
  if (legacy.length) logger.info('todos brought into the current shape', { todos: legacy.length, users: byUser.size });
}
