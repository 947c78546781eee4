import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser } from '../support/http.js';
import { connectSocket } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** The per-user change log on the real MongoDB-wire server, written by two instances at once. */
describe('change log under concurrent writes', () => {
  let a: RunningServer;
  let b: RunningServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestServer({ INSTANCE_ID: 'log-a' }), startTestServer({ INSTANCE_ID: 'log-b' })]);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('when 30 writes of one user race on two instances, then seqs are 1..30 with no gap or repeat, and sync replays them all', async () => {
    const user = await registerUser(apiClient(a.url), 'race');
    const listener = await connectSocket(b.url, user.accessToken);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => apiClient(i % 2 ? a.url : b.url).post('/api/todos', { title: `race ${i}` }, user.accessToken)));
    expect(results.every((r) => r.status === 201)).toBe(true);
    await listener.waitFor('todo:created', () => listener.events.filter((e) => e.event === 'todo:created').length === 30, 5000);
    const seqs = listener.events
      .filter((e) => e.event === 'todo:created')
      .map((e) => e.payload.seq)
      .sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

    const sync = await listener.emitWithAck('sync', { since: 0 });
    expect(sync.data.seq).toBe(30);
    expect(sync.data.changes.map((c: { todo: { id: string } }) => c.todo.id).sort()).toEqual(results.map((r) => r.body.id).sort());
    listener.close();
  });

  it('when one todo is updated concurrently, then sync returns its final state', async () => {
    const user = await registerUser(apiClient(a.url), 'race-update');
    const todo = (await apiClient(a.url).post('/api/todos', { title: 'contended' }, user.accessToken)).body;
    await Promise.all(Array.from({ length: 10 }, (_, i) => apiClient(i % 2 ? a.url : b.url).patch(`/api/todos/${todo.id}`, { title: `edit ${i}` }, user.accessToken)));
    const final = (await apiClient(a.url).get(`/api/todos/${todo.id}`, user.accessToken)).body;
    expect(final.version).toBe(11);
    const socket = await connectSocket(b.url, user.accessToken);
    const sync = await socket.emitWithAck('sync', { since: 1 });
    expect(sync.data).toEqual({ seq: 11, changes: [{ type: 'todo:updated', todo: final, seq: 11 }] });
    socket.close();
  });
});
