import type { Connection } from 'mongoose';
import { expireDocuments } from '../../../infra/mongo/expiry.js';
import type { TodoDocument } from './todo-model.js';

/**
 * How long what the todo component stores is kept. Returns a function that stops both purges.
 *
 * - Log entries: as long as a write's key must be remembered (`logRetentionHours`); `sync` reads
 *   the todos, not the log, so nothing else depends on older entries.
 * - Tombstones of deleted todos: `tombstoneRetentionDays`. Before they go, each seq bucket they sat
 *   in gets a marker with the highest seq that went, so a client that has not seen that far gets a
 *   reset from `sync` instead of missing the deletion.
 */
export async function enforceTodoRetention(connection: Connection, options: { logRetentionHours: number; tombstoneRetentionDays: number }): Promise<() => void> {
  const todos = connection.collection<TodoDocument>('todos');
  const markers = connection.collection<{ _id: string; userId: string; sb: number; marker: true; expiredUpTo: number }>('todos');

  async function leaveMarkers(filter: Record<string, unknown>): Promise<void> {
    const going = await todos.find(filter, { projection: { userId: 1, sb: 1, seq: 1 } }).toArray();
    const highest = new Map<string, { userId: string; sb: number; seq: number }>();
    for (const t of going) {
      const id = `~${t.userId}:${t.sb}`;
      const seen = highest.get(id);
      if (!seen || seen.seq < t.seq) highest.set(id, { userId: t.userId, sb: t.sb, seq: t.seq });
    }
    for (const [_id, { userId, sb, seq }] of highest) {
      await markers.updateOne({ _id }, { $max: { expiredUpTo: seq }, $setOnInsert: { userId, sb, marker: true } }, { upsert: true });
    }
  }

  const stops = await Promise.all([
    // Only entries have `at` and `hour` (todos have `createdAt` and `deletedHour`).
    expireDocuments(connection, 'todos', { dateField: 'at', hourField: 'hour', seconds: options.logRetentionHours * 3600, filter: { kind: { $exists: true } } }),
    expireDocuments(connection, 'todos', {
      dateField: 'deletedAt',
      hourField: 'deletedHour',
      seconds: options.tombstoneRetentionDays * 86_400,
      filter: { alive: false },
      beforeDelete: leaveMarkers,
    }),
  ]);
  return () => stops.forEach((stop) => stop());
}
