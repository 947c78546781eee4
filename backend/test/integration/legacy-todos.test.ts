import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLegacyTodos } from '../../src/components/todos/data-access/legacy-todos.js';
import { services } from '../support/env.js';
import { apiClient, registerUser } from '../support/http.js';
import { connectSocket } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** Todos stored before the change log moved are brought into the current shape once, and nothing of them is lost. */
describe('todos from before the change log moved', () => {
  let server: RunningServer;
  let mongo: mongoose.Connection;
  beforeAll(async () => {
    server = await startTestServer({ INSTANCE_ID: 'legacy' });
    mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
  });
  afterAll(async () => {
    await mongo?.close();
    await server?.stop();
  });

  it('when an old database is upgraded, then its todos list in creation order and a client of the old log gets them all on its next sync', async () => {
    const api = apiClient(server.url);
    const user = await registerUser(api, 'legacy');
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const old = [
      { _id: new mongoose.Types.ObjectId(), title: 'first', createdAt: at(1), deletedAt: null },
      { _id: new mongoose.Types.ObjectId(), title: 'gone', createdAt: at(2), deletedAt: at(5) },
      { _id: new mongoose.Types.ObjectId(), title: 'second', createdAt: at(3), deletedAt: null },
    ];
    await mongo.collection('todos').insertMany(old.map((t) => ({ ...t, userId: user.id, completed: false, version: 1, updatedAt: t.createdAt })));
    await mongo.collection('todo_changes').insertMany([1, 2, 3, 4].map((seq) => ({ userId: user.id, seq, todoId: old[0]!._id.toHexString(), kind: 'updated', at: at(seq) })));

    const migration = `test-${randomUUID()}`;
    await Promise.all([migrateLegacyTodos(mongo, { migration }), migrateLegacyTodos(mongo, { migration })]);

    const page = (await api.get('/api/todos', user.accessToken)).body;
    expect(page.items.map((t: { title: string }) => t.title)).toEqual(['first', 'second']);
    const socket = await connectSocket(server.url, user.accessToken);
    const { data } = await socket.emitWithAck('sync', { since: 4 });
    expect(data.seq).toBe(7);
    expect(data.changes.map((c: { type: string; seq: number }) => [c.type, c.seq])).toEqual([
      ['todo:created', 5],
      ['todo:deleted', 6],
      ['todo:created', 7],
    ]);
    // The next write goes on from there.
    const created = await socket.emitWithAck('todo:create', { title: 'new' });
    expect(created.data.title).toBe('new');
    expect((await socket.emitWithAck('sync', { since: 7 })).data.changes.map((c: { seq: number }) => c.seq)).toEqual([8]);
    expect((await api.get('/api/todos', user.accessToken)).body.items.map((t: { title: string }) => t.title)).toEqual(['first', 'second', 'new']);
    socket.close();
  });
});
