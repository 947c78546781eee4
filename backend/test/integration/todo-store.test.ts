import { randomUUID } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTodoModels, type LogEntry } from '../../src/components/todos/data-access/todo-model.js';
import { createTodoStore, todoOf, type TodoStore } from '../../src/components/todos/data-access/todo-store.js';
import { services } from '../support/env.js';

/** A create's log entry for `userId` at `seq`, keyed by `key`. */
function createEntry(userId: string, seq: number, key: string): LogEntry {
  const at = new Date();
  return { _id: `${userId}:${seq}`, userId, seq, todoId: new Types.ObjectId().toHexString(), kind: 'created', key, title: `t${seq}`, pos: seq - 1, at, hour: 0 };
}

/** The todo store's group commit on the real MongoDB-wire server (FerretDB here). */
describe('todo store: appends of concurrent writes', () => {
  let connection: mongoose.Connection;
  let store: TodoStore;
  beforeAll(async () => {
    connection = await mongoose.createConnection(services.mongoUrl).asPromise();
    store = createTodoStore(registerTodoModels(connection), connection);
    await store.ensureIndexes();
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('when 60 creates are appended at once and an early one is a retry of a stored write, then it alone is "taken" and every other is stored, once', async () => {
    // 60 creates are 120 documents: more than FerretDB inserts in one batch of an ordered insert (100).
    const users = Array.from({ length: 60 }, () => `store-${randomUUID()}`);
    const entries = users.map((user) => createEntry(user, 1, randomUUID()));
    const retried = entries[3]!;
    expect(await store.appendEntry(retried, todoOf(retried))).toBe('stored');

    const appended = await Promise.all(entries.map((entry) => store.appendEntry(entry, todoOf(entry)).catch((error: Error) => `failed: ${error.message}`)));

    expect(appended[3]).toBe('taken');
    expect(appended.filter((a, i) => i !== 3 && a !== 'stored')).toEqual([]);
    const docs = await connection
      .collection('todos')
      .find({ userId: { $in: users } })
      .toArray();
    // Each user: one entry and one todo, none twice.
    expect(docs).toHaveLength(120);
  });
});
