import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, waitForReady, type ApiClient, type TestUser } from '../support/http.js';
import { MongoProcess } from '../support/service-process.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** MongoDB (the todo store) stops under a running instance and comes back on the same data. */
describe('when MongoDB goes away and comes back', () => {
  let mongo: MongoProcess;
  let server: RunningServer;
  let api: ApiClient;
  let user: TestUser;
  beforeAll(async () => {
    mongo = await MongoProcess.start();
    server = await startTestServer({ MONGO_URL: mongo.url, INSTANCE_ID: 'mongo-out' });
    api = apiClient(server.url);
    user = await registerUser(api, 'mongo-out');
  });
  afterAll(async () => {
    await server?.stop();
    await mongo?.stop();
  });

  it('then writes fail fast with 503 UNAVAILABLE, nothing acknowledged is lost, and it recovers by itself', { timeout: 60_000 }, async () => {
    const kept = await api.post('/api/todos', { title: 'acknowledged before the outage' }, user.accessToken);
    expect(kept.status).toBe(201);
    await mongo.stop();

    const started = Date.now();
    const refused = await api.post('/api/todos', { title: 'during the outage' }, user.accessToken);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('UNAVAILABLE');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await api.get('/api/todos', user.accessToken)).status).toBe(503);
    const ready = await api.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toMatchObject({ mongodb: 'down', postgres: 'up', redis: 'up' });
    // Accounts live in Postgres: signing in still works.
    expect((await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery' })).status).toBe(200);

    await mongo.start();
    expect(await waitForReady(api)).toBe(200);
    const list = await api.get('/api/todos', user.accessToken);
    expect(list.body.items).toEqual([kept.body]);
    expect((await api.post('/api/todos', { title: 'after the outage' }, user.accessToken)).status).toBe(201);
  });
});
