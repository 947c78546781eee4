import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, waitForReady, type ApiClient, type TestUser } from '../support/http.js';
import { RedisProcess } from '../support/service-process.js';
import { connectLive } from '../support/graphql-ws.js';
import { connectSocket, sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/**
 * What holds while Redis is down (docs/SECURITY.md, "When Redis is down"): the instance keeps
 * serving reads and writes, reports itself not ready, limits requests with per-instance
 * counters (fail open, still bounded), and recovers by itself when Redis returns.
 */
describe('when Redis goes away and comes back', () => {
  let redis: RedisProcess;
  let server: RunningServer;
  let api: ApiClient;
  let user: TestUser;
  beforeAll(async () => {
    redis = await RedisProcess.start();
    server = await startTestServer({ REDIS_URL: redis.url, INSTANCE_ID: 'redis-out', AUTH_RATE_LIMIT_PER_MINUTE: '5' });
    api = apiClient(server.url);
    user = await registerUser(api, 'redis-out');
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('then the instance stays up, answers not-ready, keeps writes flowing and rate limits per instance; and it recovers', { timeout: 40_000 }, async () => {
    // Connected through the outage: it may miss other instances' events, so it is told to sync after.
    const through = await connectSocket(server.url, user.accessToken);
    await redis.stop();
    const ready = await api.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.redis).toBe('down');

    const started = Date.now();
    const created = await api.post('/api/todos', { title: 'written while redis is down' }, user.accessToken);
    expect(created.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await api.get(`/api/todos/${created.body.id}`, user.accessToken)).body.title).toBe('written while redis is down');

    // Sign-in limits fall back to this instance's own counters: still bounded.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (await api.request('POST', '/api/auth/login', { body: { email: user.email, password: 'wrong password' }, headers: { 'x-forwarded-for': '192.0.2.77' } })).status,
      );
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);

    await redis.start();
    expect(await waitForReady(api)).toBe(200);
    expect(await through.waitFor('sync:required')).toEqual({ reason: 'fanout_resumed' });
    through.close();
    // Fan-out works again without a restart.
    const socket = await connectSocket(server.url, user.accessToken);
    const todo = (await api.post('/api/todos', { title: 'after redis returned' }, user.accessToken)).body;
    await socket.waitFor('todo:created', (p) => p.todo.id === todo.id);
    socket.close();
  });

  it('then a GraphQL subscriber that missed a change made on another instance while Redis was away gets it once Redis is back, each seq once', { timeout: 40_000 }, async () => {
    const other = await startTestServer({ REDIS_URL: redis.url, INSTANCE_ID: 'redis-out-2' });
    try {
      const subscriber = await connectLive(server.url, { token: user.accessToken });
      const sub = subscriber.subscribe('subscription { todoChanges(since: 0) { type seq id todo { title } } }');
      await sleep(300);
      await redis.stop();
      const missed = await apiClient(other.url).post('/api/todos', { title: 'missed while redis was down' }, user.accessToken);
      expect(missed.status).toBe(201);
      await sleep(300);
      expect(sub.events.some((e) => e.data?.todoChanges?.id === missed.body.id)).toBe(false);
      await redis.start();
      await sub.waitFor((e) => e.data?.todoChanges?.id === missed.body.id, 15_000);
      await sleep(500); // both links' catch-ups have run
      const seqs = sub.events.map((e) => e.data.todoChanges.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(sub.errors).toEqual([]);
      await subscriber.dispose();
    } finally {
      await other.stop();
    }
  });

  it('then writes of one user on two instances still take turns: no update is lost and seqs stay gap-free', { timeout: 40_000 }, async () => {
    const other = await startTestServer({ REDIS_URL: redis.url, INSTANCE_ID: 'redis-out-2' });
    try {
      const todo = (await api.post('/api/todos', { title: 'contended while redis is down' }, user.accessToken)).body;
      const socket = await connectSocket(server.url, user.accessToken);
      const { data: before } = await socket.emitWithAck('sync', { since: 0 });
      socket.close();
      await redis.stop();
      // Both instances hold the writes of this user in turn through the store while Redis is away.
      const apis = [api, apiClient(other.url)];
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => apis[i % 2]!.patch(`/api/todos/${todo.id}`, { title: `edit ${i}` }, user.accessToken)));
      expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
      const final = (await api.get(`/api/todos/${todo.id}`, user.accessToken)).body;
      expect(final.version).toBe(todo.version + 12);
      expect(results.map((r) => r.body.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => todo.version + 1 + i));
      await redis.start();
      expect(await waitForReady(api)).toBe(200);
      const after = await connectSocket(other.url, user.accessToken);
      const { data } = await after.emitWithAck('sync', { since: before.seq });
      expect(data).toEqual({ seq: before.seq + 12, changes: [{ type: 'todo:updated', todo: final, seq: before.seq + 12 }] });
      after.close();
    } finally {
      await other.stop();
    }
  });
});
