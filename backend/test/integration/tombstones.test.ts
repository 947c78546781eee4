import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../support/env.js';
import { apiClient, registerUser } from '../support/http.js';
import { connectSocket, sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/**
 * Deleted todos leave tombstones for `sync`; they are removed after TODO_TOMBSTONE_RETENTION_DAYS,
 * and a client that had not seen a removed deletion gets a reset instead of missing it.
 */
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

  it('when a tombstone is older than the retention, then it is removed, newer ones and live todos stay, and a sync from before it is a reset', { timeout: 120_000 }, async () => {
    const api = apiClient(writer.url);
    const user = await registerUser(api, 'tombstones');
    const [kept, recent, old] = await Promise.all(
      ['kept', 'deleted recently', 'deleted long ago'].map(async (title) => (await api.post('/api/todos', { title }, user.accessToken)).body),
    );
    for (const todo of [old, recent]) expect((await api.request('DELETE', `/api/todos/${todo.id}`, { token: user.accessToken })).status).toBe(204);
    // Seqs: three creates, then the old one's deletion (4), then the recent one's (5).
    const todos = mongo.collection('todos');
    // The old one was deleted 31 days ago, in an hour bucket the purges have not reached yet.
    const deletedAt = new Date(Date.now() - 31 * 86_400_000);
    const deletedHour = Math.floor(deletedAt.getTime() / 3_600_000);
    await todos.updateOne({ _id: new mongoose.Types.ObjectId(old.id) }, { $set: { deletedAt, deletedHour } });
    await mongo.collection<{ _id: string; purgedBefore: number }>('expiry').updateOne({ _id: 'todos:deletedHour' }, { $set: { purgedBefore: deletedHour - 1 } }, { upsert: true });

    // Expiry starts with the instance: it goes on, hour by hour, from where the purges got to.
    const sweeper = await startTestServer({ INSTANCE_ID: 'tomb-sweeper', TODO_TOMBSTONE_RETENTION_DAYS: '30' });
    try {
      const present = async () => (await todos.find({ _id: { $in: [kept, recent, old].map((t) => new mongoose.Types.ObjectId(t.id)) } }).toArray()).map((d) => String(d._id));
      let ids = await present();
      for (const until = Date.now() + 90_000; ids.includes(old.id) && Date.now() < until; await sleep(250)) ids = await present();
      expect(ids.sort()).toEqual([kept.id, recent.id].sort());

      // A client that had not seen the removed deletion (seq 4) may still hold that todo: it gets the
      // full state instead. One that had seen it gets the changes after it as usual.
      const socket = await connectSocket(sweeper.url, user.accessToken);
      const before = await socket.emitWithAck('sync', { since: 3 });
      expect(before.data).toEqual({ seq: 5, reset: true, todos: [expect.objectContaining({ id: kept.id })] });
      const after = await socket.emitWithAck('sync', { since: 4 });
      expect(after.data).toEqual({ seq: 5, changes: [{ type: 'todo:deleted', id: recent.id, seq: 5 }] });
      socket.close();
    } finally {
      await sweeper.stop();
    }
  });
});
