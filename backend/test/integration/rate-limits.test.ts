import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient } from '../support/http.js';
import mongoose from 'mongoose';
import { services } from '../support/env.js';
import { connectSocket, sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** Limits counted in the real Redis; a second instance shares every counter. */
describe('rate limits per account and per user', () => {
  let a: RunningServer;
  let b: RunningServer;
  let api: ApiClient;
  beforeAll(async () => {
    const limits = { AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE: '3', API_RATE_LIMIT_PER_MINUTE: '8', SOCKET_RATE_LIMIT_PER_MINUTE: '4' };
    [a, b] = await Promise.all([startTestServer({ ...limits, INSTANCE_ID: 'rl-a' }), startTestServer({ ...limits, INSTANCE_ID: 'rl-b' })]);
    api = apiClient(a.url);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('when sign-ins for one account come from many addresses, then the account limit still holds across instances', async () => {
    const user = await registerUser(api, 'rl-account');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const target = apiClient(i % 2 ? a.url : b.url);
      const res = await target.request('POST', '/api/auth/login', {
        body: { email: user.email, password: 'wrong password' },
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
  });

  it('when registrations for one email come from many addresses, then the account limit holds too', async () => {
    const email = `rl-reg-${Date.now()}@example.test`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await apiClient(i % 2 ? a.url : b.url).request('POST', '/api/auth/register', {
        body: { email, password: 'long enough pw', name: 'x' },
        headers: { 'x-forwarded-for': `203.0.113.${100 + i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([201, 409, 409, 429, 429]);
  });

  it('when a limit is hit, then it is recorded as a security event in the logs collection and in metrics', async () => {
    const user = await registerUser(api, 'rl-events');
    for (let i = 0; i < 5; i++) await api.request('POST', '/api/auth/login', { body: { email: user.email, password: 'nope nope' } });
    const mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
    try {
      let record = null;
      for (let i = 0; i < 30 && !record; i++) {
        await sleep(200);
        record = await mongo.collection('logs').findOne({ event: 'security.rate_limited', key: `account:${user.email}` });
      }
      expect(record).toMatchObject({ record: 'audit', limiter: 'auth-account', level: 'warn' });
    } finally {
      await mongo.close();
    }
    const metrics = (await api.get('/metrics')).body as string;
    expect(metrics).toMatch(/cobalt_security_events_total\{[^}]*type="rate_limited"[^}]*\} [1-9]/);
  });

  it('when one user exceeds the API limit over REST and GraphQL on two instances, then exactly the limit succeeds', async () => {
    const user = await registerUser(api, 'rl-api');
    const other = await registerUser(api, 'rl-api-other');
    const results: number[] = [];
    for (let i = 0; i < 16; i++) {
      const target = apiClient(i % 2 ? a.url : b.url);
      const res = i % 4 === 0 ? await target.graphql('{ me { id } }', {}, user.accessToken) : await target.get('/api/todos', user.accessToken);
      results.push(res.status);
    }
    expect(results.filter((s) => s === 200)).toHaveLength(8);
    expect(results.filter((s) => s === 429)).toHaveLength(8);
    const limited = await apiClient(a.url).get('/api/me', user.accessToken);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const graphql = await apiClient(b.url).graphql('{ me { id } }', {}, user.accessToken);
    expect(graphql.status).toBe(429);
    expect(graphql.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    // Another user is not affected.
    expect((await apiClient(a.url).get('/api/todos', other.accessToken)).status).toBe(200);
  });

  it('when one user sends too many socket events, then the ack says RATE_LIMITED and nothing more is written', async () => {
    const user = await registerUser(api, 'rl-socket');
    const [s1, s2] = await Promise.all([connectSocket(a.url, user.accessToken), connectSocket(b.url, user.accessToken)]);
    const acks = [];
    for (let i = 0; i < 6; i++) acks.push(await (i % 2 ? s1 : s2).emitWithAck('todo:create', { title: `n${i}` }));
    expect(acks.filter((ack) => ack.data)).toHaveLength(4);
    expect(acks.slice(4).map((ack) => ack.error?.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    s1.close();
    s2.close();
  });

  it('when a user re-authenticates sockets with auth:refresh, then each one counts, and once the budget is spent it is refused before any check runs', async () => {
    const user = await registerUser(api, 'rl-refresh');
    const otherSession = await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery' });
    const [s1, s2] = await Promise.all([connectSocket(a.url, user.accessToken), connectSocket(b.url, user.accessToken)]);
    const acks = [];
    for (let i = 0; i < 4; i++) acks.push(await (i % 2 ? s1 : s2).emitWithAck('auth:refresh', { token: user.accessToken }));
    expect(acks.map((ack) => Object.keys(ack))).toEqual([['data'], ['data'], ['data'], ['data']]);
    // The four refreshes spent the budget: a sync is refused ...
    expect((await s1.emitWithAck('sync', { since: 0 })).error?.code).toBe('RATE_LIMITED');
    // ... and so is every further refresh, before its token is even looked at: a token of another
    // session, which the check would refuse as UNAUTHENTICATED, is answered RATE_LIMITED.
    for (const socket of [s1, s2]) {
      expect((await socket.emitWithAck('auth:refresh', { token: user.accessToken })).error?.code).toBe('RATE_LIMITED');
      expect((await socket.emitWithAck('auth:refresh', { token: otherSession.body.accessToken })).error?.code).toBe('RATE_LIMITED');
    }
    const metrics = (await apiClient(a.url).get('/metrics')).body as string;
    expect(metrics).toMatch(/cobalt_socket_events_total\{[^}]*event="auth:refresh"[^}]*outcome="RATE_LIMITED"[^}]*\} [1-9]/);
    expect(metrics).not.toMatch(/cobalt_socket_events_total\{[^}]*event="auth:refresh"[^}]*outcome="UNAUTHENTICATED"/);
    s1.close();
    s2.close();
  });
});
