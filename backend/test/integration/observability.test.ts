import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_RACE_WINDOW_MS } from '../../src/components/auth/domain/auth-service.js';
import { services } from '../support/env.js';
import { apiClient, registerUser, type ApiClient } from '../support/http.js';
import { sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

describe('health, metrics and stored logs', () => {
  let server: RunningServer;
  let api: ApiClient;
  let mongo: mongoose.Connection;
  beforeAll(async () => {
    server = await startTestServer({ INSTANCE_ID: 'obs-1' });
    api = apiClient(server.url);
    mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
  });
  afterAll(async () => {
    await mongo?.close();
    await server?.stop();
  });

  it('when probed, then liveness names the instance and readiness reports every store up', async () => {
    expect((await api.get('/health/live')).body).toEqual({ status: 'ok', instance: 'obs-1' });
    const ready = await api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: 'up', mongodb: 'up', redis: 'up', accepting: 'up' });
    const accepting = await api.get('/health/accepting');
    expect([accepting.status, accepting.body]).toEqual([200, { status: 'ok', instance: 'obs-1' }]);
  });

  it('when scraped, then /metrics says which stores this instance reaches', async () => {
    const text = (await api.get('/metrics')).body as string;
    for (const dependency of ['postgres', 'mongodb', 'redis']) expect(text).toMatch(new RegExp(`cobalt_dependency_up\\{[^}]*dependency="${dependency}"[^}]*\\} 1`));
  });

  it('when requests were served, then /metrics labels durations by route template, never the raw path', async () => {
    const user = await registerUser(api, 'metrics');
    const todo = (await api.post('/api/todos', { title: 'm' }, user.accessToken)).body;
    await api.patch(`/api/todos/${todo.id}`, { completed: true }, user.accessToken);
    await api.graphql('{ me { id } }', {}, user.accessToken);
    const text = (await api.get('/metrics')).body as string;
    expect(text).toContain('cobalt_http_request_duration_seconds_bucket');
    expect(text).toMatch(/route="\/api\/todos\/:id",status_code="200"/);
    // GraphQL is mounted under /graphql: its requests are labelled with it, not as unmatched.
    expect(text).toMatch(/cobalt_http_request_duration_seconds_count\{[^}]*method="POST",route="\/graphql",status_code="200"\} [1-9]/);
    expect(text).not.toContain(todo.id);
    expect(text).toMatch(/cobalt_graphql_operations_total\{[^}]*operation_type="query",root_field="me",outcome="ok"/);
    expect(text).toContain('cobalt_sockets_connected');
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('when a user registers, writes and errs, then audit records and the failed request land in the logs collection with context', async () => {
    const user = await registerUser(api, 'audit');
    const todo = (await api.post('/api/todos', { title: 'audited' }, user.accessToken)).body;
    expect((await api.get('/api/todos/0123456789abcdef01234567', user.accessToken)).status).toBe(404);
    let records: any[] = [];
    for (let i = 0; i < 30 && records.length < 3; i++) {
      await sleep(200);
      records = await mongo
        .collection('logs')
        .find({ $or: [{ userId: user.id }, { todoId: todo.id }] })
        .toArray();
    }
    const audit = records.find((r) => r.event === 'todo.created');
    expect(audit).toMatchObject({ record: 'audit', instance: 'obs-1', userId: user.id, todoId: todo.id, requestId: expect.any(String) });
    expect(audit.at).toBeInstanceOf(Date);
    expect(records.some((r) => r.event === 'user.registered')).toBe(true);
    // By default only requests that failed (or were slow) are stored; every one is in the metrics.
    expect(records.some((r) => r.record === 'request' && r.route === '/api/todos/:id' && r.status_code === '404')).toBe(true);
    expect(records.some((r) => r.record === 'request' && r.status_code === '201')).toBe(false);
  });

  it('when every request is to be stored (LOG_STORED_REQUESTS=all), then successful ones are too', async () => {
    const everything = await startTestServer({ INSTANCE_ID: 'obs-all', LOG_STORED_REQUESTS: 'all' });
    try {
      const all = apiClient(everything.url);
      const user = await registerUser(all, 'all-requests');
      expect((await all.post('/api/todos', { title: 'kept' }, user.accessToken)).status).toBe(201);
      let found = false;
      for (let i = 0; i < 30 && !found; i++) {
        await sleep(200);
        found = (await mongo.collection('logs').countDocuments({ record: 'request', userId: user.id, route: '/api/todos', status_code: '201' })) > 0;
      }
      expect(found).toBe(true);
    } finally {
      await everything.stop();
    }
  });

  it('when security events happen, then they are kept in the logs collection and counted in metrics', async () => {
    const user = await registerUser(api, 'sec-events');
    await api.post('/api/auth/login', { email: user.email, password: 'definitely wrong' });
    await api.post('/api/auth/refresh', { refreshToken: user.refreshToken });
    await sleep(REFRESH_RACE_WINDOW_MS + 100);
    await api.post('/api/auth/refresh', { refreshToken: user.refreshToken }); // reuse, after the race window
    const refused = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);

    let events: string[] = [];
    for (let i = 0; i < 30; i++) {
      await sleep(200);
      const records = await mongo
        .collection('logs')
        .find({ record: 'audit', $or: [{ userId: user.id }, { event: 'security.origin_refused' }] })
        .toArray();
      events = records.map((r) => r.event);
      if (['user.sign_in_failed', 'session.refresh_token_reused', 'security.origin_refused'].every((e) => events.includes(e))) break;
    }
    expect(events).toEqual(expect.arrayContaining(['user.sign_in_failed', 'session.refresh_token_reused', 'session.revoked', 'security.origin_refused']));
    const text = (await api.get('/metrics')).body as string;
    for (const type of ['sign_in_failed', 'refresh_token_reused', 'origin_refused']) {
      expect(text).toMatch(new RegExp(`cobalt_security_events_total\\{[^}]*type="${type}"[^}]*\\} [1-9]`));
    }
  });

  it('when the server cannot make a TTL index, then the logs collection has an index on the hour its records expire by', async () => {
    const indexes = await mongo.collection('logs').indexes();
    expect(indexes.some((i) => i.key.hour === 1 || (i.key.at === 1 && i.expireAfterSeconds !== undefined))).toBe(true);
  });
});

describe('graceful stop', () => {
  it('when an instance stops with a socket attached, then it exits promptly and the socket is told to reconnect elsewhere', async () => {
    const { connectSocket } = await import('../support/sockets.js');
    const server = await startTestServer({ INSTANCE_ID: 'stop-1' });
    const user = await registerUser(apiClient(server.url), 'stopper');
    const socket = await connectSocket(server.url, user.accessToken, { transports: ['websocket'] });
    const reason = new Promise<string>((resolve) => socket.socket.on('disconnect', (r) => resolve(r)));
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    // 'transport close' (not 'io server disconnect') is the reason on which clients reconnect.
    expect(await reason).toBe('transport close');
    await expect(fetch(`${server.url}/health/live`)).rejects.toThrow();
  });
});
