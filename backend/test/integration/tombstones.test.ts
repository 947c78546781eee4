import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../support/env.js';
import { apiClient, registerUser } from '../support/http.js';
import { connectSocket, sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** Deleted todos leave tombstones for `sync`; they are removed after TODO_TOMBSTONE_RETENTION_DAYS. */
describe('tombstones of deleted todos', () => {
  let writer: RunningServer;
  let mongo: mongoose.Connection;
  beforeAll(async () => {
    writer = await startTestServer({ INSTANCE_ID: 'tomb-writer' });
    mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
  });
  afterAll(async () => {
    await mongo?.close();
    await writer?.stop();
  });

  it('when a tombstone is older than the retention, then it is removed, newer ones and live todos stay, and sync still reports the deletion', { timeout: 120_000 }, async () => {
    const api = apiClient(writer.url);
    const user = await registerUser(api, 'tombstones');
    const [kept, recent, old] = await Promise.all(['kept', 'deleted recently', 'deleted long ago'].map(async (title) => (await api.post('/api/todos', { title }, user.accessToken)).body));
    for (const todo of [recent, old]) expect((await api.request('DELETE', `/api/todos/${todo.id}`, { token: user.accessToken })).status).toBe(204);
    const todos = mongo.collection('todos');
    await todos.updateOne({ _id: new mongoose.Types.ObjectId(old.id) }, { $set: { deletedAt: new Date(Date.now() - 31 * 86_400_000) } });

    // Expiry starts with the instance (a periodic delete on FerretDB, a TTL index on MongoDB).
    const sweeper = await startTestServer({ INSTANCE_ID: 'tomb-sweeper', TODO_TOMBSTONE_RETENTION_DAYS: '30' });
    try {
      const present = async () => (await todos.find({ _id: { $in: [kept, recent, old].map((t) => new mongoose.Types.ObjectId(t.id)) } }).toArray()).map((d) => String(d._id));
      let ids = await present();
      for (const until = Date.now() + 90_000; ids.includes(old.id) && Date.now() < until; await sleep(250)) ids = await present();
      expect(ids.sort()).toEqual([kept.id, recent.id].sort());

      // The change log still names the removed todo: a client catching up from the start learns it is gone.
      const socket = await connectSocket(sweeper.url, user.accessToken);
      const sync = await socket.emitWithAck('sync', { since: 0 });
      const byId = new Map(sync.data.changes.map((c: { type: string; id?: string; todo?: { id: string } }) => [c.id ?? c.todo!.id, c.type]));
      expect(Object.fromEntries(byId)).toEqual({ [kept.id]: 'todo:created', [recent.id]: 'todo:deleted', [old.id]: 'todo:deleted' });
      socket.close();
    } finally {
      await sweeper.stop();
    }
  });
});
