import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { keyedTodoId } from '../../src/components/todos/domain/todo-service.js';
import { services } from '../support/env.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../support/http.js';
import { connectSocket, sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** A retried write is applied once and answered with the same result, on any instance and through any API. */
describe('idempotent writes', () => {
  let a: RunningServer;
  let b: RunningServer;
  let apiA: ApiClient;
  let apiB: ApiClient;
  let user: TestUser;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestServer({ INSTANCE_ID: 'idem-a' }), startTestServer({ INSTANCE_ID: 'idem-b' })]);
    [apiA, apiB] = [apiClient(a.url), apiClient(b.url)];
    user = await registerUser(apiA, 'idem');
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  const post = (api: ApiClient, key: string, body: unknown) => api.request('POST', '/api/todos', { body, token: user.accessToken, headers: { 'idempotency-key': key } });

  it('when a REST create is retried with the same Idempotency-Key on another instance, then one todo exists and every event of it carries one seq', async () => {
    const listener = await connectSocket(a.url, user.accessToken);
    const key = randomUUID();
    const first = await post(apiA, key, { title: 'pay rent' });
    const retry = await post(apiB, key, { title: 'pay rent' });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    const all = (await apiA.get('/api/todos?limit=100', user.accessToken)).body.items.filter((t: { title: string }) => t.title === 'pay rent');
    expect(all).toHaveLength(1);
    await listener.waitFor('todo:created', (p) => p.todo.id === first.body.id);
    await sleep(200);
    // A retry announces again what it finds done (its first attempt may have died before it could):
    // the same change at the same seq, which a client already holding that seq ignores.
    const heard = listener.events.filter((e) => e.event === 'todo:created' && e.payload.todo.id === first.body.id);
    expect(new Set(heard.map((e) => e.payload.seq)).size).toBe(1);
    expect(heard[0]!.payload.clientMutationId).toBe(key);
    listener.close();
  });

  it('when the same key comes with a different request, then it is a 409 CONFLICT and nothing is written', async () => {
    const key = randomUUID();
    await post(apiA, key, { title: 'original' });
    const reused = await post(apiB, key, { title: 'something else' });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('CONFLICT');
    const titles = (await apiA.get('/api/todos?limit=100', user.accessToken)).body.items.map((t: { title: string }) => t.title);
    expect(titles).not.toContain('something else');
  });

  it('when a refused write is retried, then the retry gets the same refusal', async () => {
    const key = randomUUID();
    const missing = '0123456789abcdef01234567';
    const first = await apiA.request('PATCH', `/api/todos/${missing}`, { body: { completed: true }, token: user.accessToken, headers: { 'idempotency-key': key } });
    const retry = await apiB.request('PATCH', `/api/todos/${missing}`, { body: { completed: true }, token: user.accessToken, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(404);
    expect(retry.status).toBe(404);
    expect(retry.body).toEqual(first.body);
  });

  it('when a key is malformed, then the write is refused with 400', async () => {
    const res = await post(apiA, 'short', { title: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('');
  });

  it('when a GraphQL mutation and a socket write are retried with a clientMutationId, then each applies once', async () => {
    const gqlKey = randomUUID();
    const mutation = 'mutation ($k: String) { createTodo(title: "via graphql", clientMutationId: $k) { id version } }';
    const g1 = await apiA.graphql(mutation, { k: gqlKey }, user.accessToken);
    const g2 = await apiB.graphql(mutation, { k: gqlKey }, user.accessToken);
    expect(g2.body.data.createTodo).toEqual(g1.body.data.createTodo);

    const socketKey = randomUUID();
    const [s1, s2] = await Promise.all([connectSocket(a.url, user.accessToken), connectSocket(b.url, user.accessToken)]);
    const target = g1.body.data.createTodo.id;
    const u1 = await s1.emitWithAck('todo:update', { id: target, completed: true, clientMutationId: socketKey });
    const u2 = await s2.emitWithAck('todo:update', { id: target, completed: true, clientMutationId: socketKey });
    expect(u1.data.version).toBe(2);
    expect(u2.data).toEqual(u1.data);
    expect((await apiA.get(`/api/todos/${target}`, user.accessToken)).body.version).toBe(2);
    s1.close();
    s2.close();
  });

  /** What a write leaves when its instance dies right after logging it: the entry, and its lock still held. */
  async function strandWrite(entry: { seq: number; todoId: string; kind: string; key: string; title?: string; pos?: number; fingerprint?: string }, leaseMs: number) {
    const mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
    const redis = new Redis(services.redisUrl);
    try {
      const at = new Date();
      await mongo.collection('todos').insertOne({ _id: `${user.id}:${entry.seq}` as never, userId: user.id, at, hour: Math.floor(at.getTime() / 3_600_000), ...entry });
      await redis.set(`cobalt:lock:${user.id}`, 'a holder that died', 'PX', leaseMs);
    } finally {
      await mongo.close();
      redis.disconnect();
    }
  }

  /** The user's next seq and position, as the last write left them. */
  async function nextSlot(api: ApiClient): Promise<{ seq: number; pos: number }> {
    const socket = await connectSocket(a.url, user.accessToken);
    const { data } = await socket.emitWithAck('sync', { since: 0 });
    socket.close();
    const pages = (await api.get('/api/todos?limit=100', user.accessToken)).body.items.length;
    return { seq: data.seq + 1, pos: pages + 64 }; // a position past every todo (deleted ones included)
  }

  it('when a keyed create died after logging it and holding the lock, then its retry waits out the lease and completes it once', async () => {
    const key = randomUUID();
    const title = 'logged, never stored';
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(['todo:create', { title }]))
      .digest('base64url');
    const slot = await nextSlot(apiA);
    await strandWrite({ seq: slot.seq, todoId: keyedTodoId(user.id, key), kind: 'created', key, title, pos: slot.pos, fingerprint }, 1500);
    const listener = await connectSocket(b.url, user.accessToken);
    const started = Date.now();
    const retry = await post(apiB, key, { title });
    expect(retry.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(retry.body).toMatchObject({ id: keyedTodoId(user.id, key), title, version: 1 });
    const created = await listener.waitFor('todo:created', (p) => p.todo.id === retry.body.id);
    expect(created).toMatchObject({ seq: slot.seq, clientMutationId: key });
    expect((await post(apiA, key, { title })).body).toEqual(retry.body);
    const matching = (await apiA.get('/api/todos?limit=100', user.accessToken)).body.items.filter((t: { title: string }) => t.title === title);
    expect(matching).toHaveLength(1);
    listener.close();
  });

  it('when an update was logged by a writer that died, then the next write of the user, of any kind, applies it first and once', async () => {
    const todo = (await post(apiA, randomUUID(), { title: 'to be finished' })).body;
    const slot = await nextSlot(apiA);
    await strandWrite({ seq: slot.seq, todoId: todo.id, kind: 'updated', key: `~${slot.seq}`, title: 'finished by the next writer' }, 500);
    const listener = await connectSocket(b.url, user.accessToken);
    const next = await apiB.request('POST', '/api/todos', { body: { title: 'the next writer' }, token: user.accessToken });
    expect(next.status).toBe(201);
    expect((await apiA.get(`/api/todos/${todo.id}`, user.accessToken)).body).toMatchObject({ title: 'finished by the next writer', version: 2 });
    const updated = await listener.waitFor('todo:updated', (p) => p.todo.id === todo.id);
    const created = await listener.waitFor('todo:created', (p) => p.todo.id === next.body.id);
    expect([updated.seq, created.seq]).toEqual([slot.seq, slot.seq + 1]);
    listener.close();
  });

  it('when retries race on two instances, then exactly one is applied and every one gets its answer', async () => {
    const key = randomUUID();
    const results = await Promise.all([post(apiA, key, { title: 'raced' }), post(apiB, key, { title: 'raced' }), post(apiA, key, { title: 'raced' })]);
    for (const r of results) expect(r.status).toBe(201);
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    const titles = (await apiA.get('/api/todos?limit=100', user.accessToken)).body.items.filter((t: { title: string }) => t.title === 'raced');
    expect(titles).toHaveLength(1);
  });
});
