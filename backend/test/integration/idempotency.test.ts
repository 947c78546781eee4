import { createHash, randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { PENDING_LEASE_MS } from '../../src/components/idempotency/idempotency-store.js';
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

  it('when a REST create is retried with the same Idempotency-Key on another instance, then one todo exists and one event was sent', async () => {
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
    expect(listener.events.filter((e) => e.event === 'todo:created' && e.payload.todo.id === first.body.id)).toHaveLength(1);
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

  it('when a create died after writing its todo but before logging it, then the retry completes that todo instead of adding one', async () => {
    const key = randomUUID();
    const id = keyedTodoId(user.id, key);
    const mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
    try {
      const now = new Date();
      await mongo.collection('todos').insertOne({ _id: new mongoose.Types.ObjectId(id), userId: user.id, title: 'half written', completed: false, version: 1, deletedAt: null, createdAt: now, updatedAt: now });
    } finally {
      await mongo.close();
    }
    const listener = await connectSocket(b.url, user.accessToken);
    const retry = await post(apiB, key, { title: 'half written' });
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(id);
    const created = await listener.waitFor('todo:created', (p) => p.todo.id === id);
    const sync = await listener.emitWithAck('sync', { since: created.seq - 1 });
    expect(sync.data.changes).toEqual([{ type: 'todo:created', todo: expect.objectContaining({ id }), seq: created.seq }]);
    const matching = (await apiA.get('/api/todos?limit=100', user.accessToken)).body.items.filter((t: { title: string }) => t.title === 'half written');
    expect(matching).toHaveLength(1);
    listener.close();
  });

  /** The record a first attempt leaves while it runs, as if its instance died `ageMs` after taking the key. */
  async function leavePendingKey(key: string, title: string, ageMs: number): Promise<void> {
    const fingerprint = createHash('sha256').update(JSON.stringify(['todo:create', { title }])).digest('hex');
    const mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
    try {
      await mongo.collection('idempotency_keys').insertOne({ _id: `${user.id}:${key}` as never, fingerprint, state: 'pending', claim: randomUUID(), createdAt: new Date(Date.now() - ageMs) });
    } finally {
      await mongo.close();
    }
  }

  it('when a retry comes while the first attempt still holds the key, then it is told to retry after the rest of the lease', async () => {
    const key = randomUUID();
    await leavePendingKey(key, 'in flight', 1000);
    const retry = await post(apiB, key, { title: 'in flight' });
    expect(retry.status).toBe(409);
    expect(retry.body.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'in_progress' } });
    expect(Number(retry.headers.get('retry-after'))).toBe(Math.ceil((PENDING_LEASE_MS - 1000) / 1000));
  });

  it('when the first attempt died holding the key (its instance was killed), then a retry after the lease takes it over and applies the write once', async () => {
    const key = randomUUID();
    await leavePendingKey(key, 'orphaned', PENDING_LEASE_MS + 1000);
    const listener = await connectSocket(a.url, user.accessToken);
    const retry = await post(apiB, key, { title: 'orphaned' });
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(keyedTodoId(user.id, key));
    await listener.waitFor('todo:created', (p) => p.todo.id === retry.body.id);
    expect((await post(apiA, key, { title: 'orphaned' })).body).toEqual(retry.body);
    const matching = (await apiA.get('/api/todos?limit=100', user.accessToken)).body.items.filter((t: { title: string }) => t.title === 'orphaned');
    expect(matching).toHaveLength(1);
    listener.close();
  });

  it('when two retries race, then exactly one is applied and the other is told to retry or gets the result', async () => {
    const key = randomUUID();
    const results = await Promise.all([post(apiA, key, { title: 'raced' }), post(apiB, key, { title: 'raced' }), post(apiA, key, { title: 'raced' })]);
    for (const r of results) expect([201, 409]).toContain(r.status);
    const titles = (await apiA.get('/api/todos?limit=100', user.accessToken)).body.items.filter((t: { title: string }) => t.title === 'raced');
    expect(titles).toHaveLength(1);
  });
});
