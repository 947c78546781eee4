import mongoose from 'mongoose';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../backend/test/support/env.js';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../../backend/test/support/http.js';
import { connectSocket, sleep, type RecordingSocket } from '../../backend/test/support/sockets.js';
import { cluster } from './cluster-env.js';

const open: RecordingSocket[] = [];

/** Opens websocket-only sockets through Caddy until one sits on each of the three instances. */
async function socketOnEveryInstance(token: string): Promise<Map<string, RecordingSocket>> {
  const byInstance = new Map<string, RecordingSocket>();
  for (let attempt = 0; attempt < 40 && byInstance.size < 3; attempt++) {
    const socket = await connectSocket(cluster.publicUrl, token, { transports: ['websocket'] });
    if (byInstance.has(socket.instanceId)) socket.close();
    else {
      byInstance.set(socket.instanceId, socket);
      open.push(socket);
    }
  }
  if (byInstance.size < 3) throw new Error(`sockets reached only ${[...byInstance.keys()].join(', ')}`);
  return byInstance;
}

const todoEvents = (socket: RecordingSocket) => socket.events.filter((e) => e.event.startsWith('todo:'));

describe('live sync across three instances behind Caddy', () => {
  let api: ApiClient;
  let alice: TestUser;
  let bob: TestUser;
  let aliceSockets: Map<string, RecordingSocket>;
  let bobSockets: Map<string, RecordingSocket>;

  beforeAll(async () => {
    api = apiClient(cluster.publicUrl);
    [alice, bob] = await Promise.all([registerUser(api, 'c-alice'), registerUser(api, 'c-bob')]);
    aliceSockets = await socketOnEveryInstance(alice.accessToken);
    bobSockets = await socketOnEveryInstance(bob.accessToken);
  });
  afterEach(() => {
    for (const s of [...(aliceSockets?.values() ?? []), ...(bobSockets?.values() ?? [])]) s.events.length = 0;
  });
  afterAll(() => {
    for (const s of open.splice(0)) s.close();
  });

  /** Every Alice socket hears `event` about `id` exactly once; no Bob socket hears anything. */
  async function expectDeliveredOnce(event: string, id: string) {
    const about = (p: any) => (p.todo?.id ?? p.id) === id;
    await Promise.all([...aliceSockets.values()].map((s) => s.waitFor(event, about)));
    await sleep(300); // room for a duplicate to show up
    for (const [instance, socket] of aliceSockets) {
      const matching = todoEvents(socket).filter((e) => e.event === event && about(e.payload));
      expect(matching, `${event} on ${instance}`).toHaveLength(1);
    }
    for (const socket of bobSockets.values()) expect(todoEvents(socket)).toEqual([]);
  }

  it('when a change is made via REST on each instance, then it reaches every socket of the user once', async () => {
    for (const [index, backendUrl] of cluster.backendUrls.entries()) {
      const direct = apiClient(backendUrl);
      const created = await direct.post('/api/todos', { title: `rest on backend ${index + 1}` }, alice.accessToken);
      expect(created.headers.get('x-instance-id')).toBe(`backend-${index + 1}`);
      await expectDeliveredOnce('todo:created', created.body.id);
    }
  });

  it('when a change is made via GraphQL, then it reaches every socket of the user once', async () => {
    const direct = apiClient(cluster.backendUrls[1]!);
    const res = await direct.graphql('mutation { createTodo(title: "graphql on backend 2") { id } }', {}, alice.accessToken);
    const id = res.body.data.createTodo.id;
    await expectDeliveredOnce('todo:created', id);
    await direct.graphql(`mutation { updateTodo(id: "${id}", completed: true) { id } }`, {}, alice.accessToken);
    await expectDeliveredOnce('todo:updated', id);
    await direct.graphql(`mutation { deleteTodo(id: "${id}") }`, {}, alice.accessToken);
    await expectDeliveredOnce('todo:deleted', id);
  });

  it('when a change is made via a socket on one instance, then the sockets on the other two hear it once', async () => {
    const writer = aliceSockets.get('backend-3')!;
    const ack = await writer.emitWithAck('todo:create', { title: 'socket on backend 3' });
    expect(ack.data.title).toBe('socket on backend 3');
    await expectDeliveredOnce('todo:created', ack.data.id);
  });

  it('when a socket was away, then sync returns exactly the changes it missed', async () => {
    const away = aliceSockets.get('backend-1')!;
    const start = (await away.emitWithAck('sync', { since: 0 })).data;
    const lastSeq = start.seq;
    away.socket.disconnect();
    const missed: string[] = [];
    for (const backendUrl of cluster.backendUrls) {
      missed.push((await apiClient(backendUrl).post('/api/todos', { title: 'while away' }, alice.accessToken)).body.id);
    }
    await apiClient(cluster.backendUrls[2]!).del(`/api/todos/${missed[0]}`, alice.accessToken);
    const back = await connectSocket(cluster.publicUrl, alice.accessToken, { transports: ['websocket'] });
    open.push(back);
    const sync = (await back.emitWithAck('sync', { since: lastSeq })).data;
    expect(sync.seq).toBe(lastSeq + 4);
    expect(sync.changes.map((c: any) => [c.type, c.todo?.id ?? c.id])).toEqual([
      ['todo:created', missed[1]],
      ['todo:created', missed[2]],
      ['todo:deleted', missed[0]],
    ]);
    aliceSockets.set('backend-1', await reconnectTo('backend-1', alice.accessToken));
  });

  it('when the default client (polling, then upgrade) goes through Caddy, then the sticky cookie keeps it working', async () => {
    const socket = await connectSocket(cluster.publicUrl, alice.accessToken, { transports: ['polling', 'websocket'] });
    open.push(socket);
    const upgraded = await new Promise<boolean>((resolve) => {
      const engine = socket.socket.io.engine;
      if (engine.transport.name === 'websocket') return resolve(true);
      engine.once('upgrade', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    expect(upgraded).toBe(true);
    const ack = await socket.emitWithAck('todo:create', { title: 'via polling client' });
    expect(ack.data.title).toBe('via polling client');
    await socket.waitFor('todo:created', (p) => p.todo.id === ack.data.id);
  });

  it('when a polling-only client makes many requests through Caddy, then they all reach one instance', async () => {
    const socket = await connectSocket(cluster.publicUrl, alice.accessToken, { transports: ['polling'] });
    open.push(socket);
    for (let i = 0; i < 10; i++) {
      const ack = await socket.emitWithAck('todo:create', { title: `polling ${i}` });
      expect(ack.error).toBeUndefined();
    }
    expect(socket.socket.connected).toBe(true);
  });

  it('when users and todos are written, then users live in Postgres and todos in MongoDB', async () => {
    const todo = (await api.post('/api/todos', { title: 'where am I stored' }, bob.accessToken)).body;
    const db = new pg.Client({ connectionString: services.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT id, email, password_hash FROM users WHERE email = $1', [bob.email]);
      expect(rows).toHaveLength(1);
      expect(rows[0].id).toBe(bob.id);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    } finally {
      await db.end();
    }
    const mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
    try {
      const doc = await mongo.collection('todos').findOne({ _id: new mongoose.Types.ObjectId(todo.id) });
      expect(doc).toMatchObject({ userId: bob.id, title: 'where am I stored', completed: false, version: 1 });
    } finally {
      await mongo.close();
    }
  });
});

async function reconnectTo(instance: string, token: string): Promise<RecordingSocket> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const socket = await connectSocket(cluster.publicUrl, token, { transports: ['websocket'] });
    if (socket.instanceId === instance) {
      open.push(socket);
      return socket;
    }
    socket.close();
  }
  throw new Error(`could not reach ${instance}`);
}
