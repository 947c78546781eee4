import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, waitForReady } from '../support/http.js';
import { RedisProcess } from '../support/service-process.js';
import { connectSocket } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** A revoked session's access tokens stop working on every instance at once, not at their expiry. */
describe('session revocation across instances', () => {
  let a: RunningServer;
  let b: RunningServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestServer({ INSTANCE_ID: 'revoke-a' }), startTestServer({ INSTANCE_ID: 'revoke-b' })]);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('when a session is revoked on one instance, then its token is refused on the other within a second, and other sessions keep working', async () => {
    const apiA = apiClient(a.url);
    const apiB = apiClient(b.url);
    const user = await registerUser(apiA, 'revoke');
    const phone = (await apiA.post('/api/auth/login', { email: user.email, password: 'correct horse battery' })).body;
    // Both tokens work on B first (B has seen them as good).
    expect((await apiB.get('/api/todos', phone.accessToken)).status).toBe(200);
    expect((await apiB.get('/api/todos', user.accessToken)).status).toBe(200);

    expect((await apiA.request('DELETE', `/api/sessions/${phone.sessionId}`, { token: user.accessToken })).status).toBe(204);
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 2000) status = (await apiB.get('/api/todos', phone.accessToken)).status;
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    expect((await apiB.get('/api/todos', user.accessToken)).status).toBe(200);

    // An instance that starts after the revocation knows it from the start.
    const c = await startTestServer({ INSTANCE_ID: 'revoke-c' });
    try {
      expect((await apiClient(c.url).get('/api/todos', phone.accessToken)).status).toBe(401);
    } finally {
      await c.stop();
    }
  });

  it('when a session is revoked while Redis is away, then once Redis is back every instance refuses it, sockets included', { timeout: 40_000 }, async () => {
    const redis = await RedisProcess.start();
    const [c, d] = await Promise.all([startTestServer({ INSTANCE_ID: 'revoke-c', REDIS_URL: redis.url }), startTestServer({ INSTANCE_ID: 'revoke-d', REDIS_URL: redis.url })]);
    try {
      const apiC = apiClient(c.url);
      const apiD = apiClient(d.url);
      const user = await registerUser(apiC, 'revoke-outage');
      const phone = (await apiC.post('/api/auth/login', { email: user.email, password: 'correct horse battery' })).body;
      await redis.stop();
      // Recorded in Postgres only: Redis cannot hear of it.
      expect((await apiC.request('DELETE', `/api/sessions/${phone.sessionId}`, { token: user.accessToken })).status).toBe(204);
      await redis.start();
      expect(await waitForReady(apiD)).toBe(200);
      expect((await apiD.get('/api/todos', phone.accessToken)).status).toBe(401);
      await expect(connectSocket(d.url, phone.accessToken)).rejects.toThrow();
      const laptop = await connectSocket(d.url, user.accessToken);
      laptop.close();
    } finally {
      await c.stop();
      await d.stop();
      await redis.stop();
    }
  });
});
