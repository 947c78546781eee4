import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_RACE_WINDOW_MS } from '../../src/components/auth/domain/auth-service.js';
import { apiClient, registerUser, uniqueEmail, type ApiClient } from '../support/http.js';
import { sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

describe('REST auth and sessions', () => {
  let server: RunningServer;
  let api: ApiClient;
  beforeAll(async () => {
    server = await startTestServer();
    api = apiClient(server.url);
  });
  afterAll(() => server?.stop());

  it('when a user registers, then the account, tokens and session come back with 201', async () => {
    const email = uniqueEmail('reg');
    const res = await api.post('/api/auth/register', { email: `  ${email.toUpperCase()} `, password: 'long enough pw', name: ' Reg ' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      user: { id: expect.any(String), email, name: 'Reg' },
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      sessionId: expect.any(String),
    });
    expect(res.headers.get('x-instance-id')).toMatch(/^test-/);
    const me = await api.get('/api/me', res.body.accessToken);
    expect(me.body).toEqual(res.body.user);
  });

  it('when the email is already taken (in any case), then it answers 409 CONFLICT', async () => {
    const user = await registerUser(api, 'dup');
    const res = await api.post('/api/auth/register', { email: user.email.toUpperCase(), password: 'another password', name: 'x' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it.each([
    ['a short password', { password: 'short' }, 'password'],
    ['a bad email', { email: 'not-an-email' }, 'email'],
    ['an operator object as email', { email: { $gt: '' } }, 'email'],
    ['a missing name', { name: undefined }, 'name'],
    ['an extra field', { role: 'admin' }, ''],
  ])('when registering with %s, then it answers 400 VALIDATION_FAILED naming the field', async (_label, change, field) => {
    const body = { email: uniqueEmail('bad'), password: 'long enough pw', name: 'Bad', ...change };
    const res = await api.post('/api/auth/register', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.some((d: { path: string }) => d.path === field)).toBe(true);
  });

  it('when signing in with a wrong password or unknown email, then both answer the same 401 INVALID_CREDENTIALS', async () => {
    const user = await registerUser(api, 'login');
    const wrong = await api.post('/api/auth/login', { email: user.email, password: 'wrong password' });
    const unknown = await api.post('/api/auth/login', { email: uniqueEmail('ghost'), password: 'wrong password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('when signing in on a second device, then both sessions are listed and the current one is marked', async () => {
    const user = await registerUser(api, 'devices');
    const phone = await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery', device: 'Phone' });
    expect(phone.status).toBe(200);
    const sessions = await api.get('/api/sessions', phone.body.accessToken);
    expect(sessions.status).toBe(200);
    expect(sessions.body).toHaveLength(2);
    expect(sessions.body.find((s: { current: boolean }) => s.current)).toMatchObject({ id: phone.body.sessionId, device: 'Phone' });
  });

  it('when a refresh token is used, then it rotates; replaying the old one revokes the session', async () => {
    const user = await registerUser(api, 'refresh');
    const first = await api.post('/api/auth/refresh', { refreshToken: user.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String) });
    expect(first.body.refreshToken).not.toBe(user.refreshToken);

    // Presented again once the race window is over (sooner, it could be a second tab's refresh).
    await sleep(REFRESH_RACE_WINDOW_MS + 100);
    const replay = await api.post('/api/auth/refresh', { refreshToken: user.refreshToken });
    expect(replay.status).toBe(401);
    // The whole session is gone: the newer token and the access token stop working too.
    expect((await api.post('/api/auth/refresh', { refreshToken: first.body.refreshToken })).status).toBe(401);
    expect((await api.get('/api/me', first.body.accessToken)).status).toBe(401);
  });

  it('when signing out, then the access and refresh tokens stop working', async () => {
    const user = await registerUser(api, 'logout');
    expect((await api.post('/api/auth/logout', undefined, user.accessToken)).status).toBe(204);
    expect((await api.get('/api/me', user.accessToken)).body.error.code).toBe('UNAUTHENTICATED');
    expect((await api.post('/api/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(401);
  });

  it("when a user revokes another user's session, then it answers 404 and the session lives on", async () => {
    const alice = await registerUser(api, 'alice');
    const mallory = await registerUser(api, 'mallory');
    const res = await api.del(`/api/sessions/${alice.sessionId}`, mallory.accessToken);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect((await api.get('/api/me', alice.accessToken)).status).toBe(200);
    expect((await api.del('/api/sessions/not-a-uuid', mallory.accessToken)).status).toBe(400);
  });

  it('when a user renames a device, then the list shows the new name; a stranger cannot rename it', async () => {
    const user = await registerUser(api, 'rename');
    const stranger = await registerUser(api, 'rename-stranger');
    const renamed = await api.patch(`/api/sessions/${user.sessionId}`, { device: '  Work laptop ' }, user.accessToken);
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: user.sessionId, device: 'Work laptop', current: true });
    const foreign = await api.patch(`/api/sessions/${user.sessionId}`, { device: 'pwned' }, stranger.accessToken);
    expect(foreign.status).toBe(404);
    expect((await api.patch(`/api/sessions/${user.sessionId}`, { device: { $gt: '' } }, user.accessToken)).status).toBe(400);
    expect((await api.patch(`/api/sessions/${user.sessionId}`, { device: 'x', revokedAt: null }, user.accessToken)).status).toBe(400);
    expect((await api.get('/api/sessions', user.accessToken)).body[0].device).toBe('Work laptop');
  });

  it('when a user revokes their other device, then that device is signed out', async () => {
    const user = await registerUser(api, 'revoker');
    const tablet = await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery', device: 'Tablet' });
    expect((await api.del(`/api/sessions/${tablet.body.sessionId}`, user.accessToken)).status).toBe(204);
    expect((await api.get('/api/me', tablet.body.accessToken)).status).toBe(401);
    expect((await api.post('/api/auth/refresh', { refreshToken: tablet.body.refreshToken })).status).toBe(401);
    const remaining = await api.get('/api/sessions', user.accessToken);
    expect(remaining.body.map((s: { id: string }) => s.id)).toEqual([user.sessionId]);
  });

  it('when a browser signs in, then the refresh token travels only in an HttpOnly cookie that rotates', async () => {
    const user = await registerUser(api, 'web');
    const web = { 'x-cobalt-client': 'web' };
    const login = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: 'correct horse battery' }, headers: web });
    expect(login.status).toBe(200);
    expect(login.body.refreshToken).toBeUndefined();
    expect(login.body.accessToken).toEqual(expect.any(String));
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^cobalt_refresh=[^;]+;/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\/api\/auth/);
    expect(setCookie).not.toMatch(/Secure/i); // plain http on localhost; Secure everywhere else
    const cookie = setCookie.split(';')[0]!;

    const refreshed = await api.request('POST', '/api/auth/refresh', { headers: { ...web, cookie } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toEqual({ accessToken: expect.any(String) });
    const next = (refreshed.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(next).not.toBe(cookie);
    // The old cookie replayed, after the race window, is refresh-token reuse: the session ends.
    await sleep(REFRESH_RACE_WINDOW_MS + 100);
    expect((await api.request('POST', '/api/auth/refresh', { headers: { ...web, cookie } })).status).toBe(401);
    expect((await api.request('POST', '/api/auth/refresh', { headers: { ...web, cookie: next } })).status).toBe(401);
  });

  it('when a browser refreshes without a cookie, then it is 401 UNAUTHENTICATED', async () => {
    const res = await api.request('POST', '/api/auth/refresh', { headers: { 'x-cobalt-client': 'web' } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when a browser signs out, then its refresh cookie is cleared', async () => {
    const user = await registerUser(api, 'web-out');
    const web = { 'x-cobalt-client': 'web' };
    const login = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: 'correct horse battery' }, headers: web });
    const out = await api.request('POST', '/api/auth/logout', { token: login.body.accessToken, headers: web });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/cobalt_refresh=;.*Expires=Thu, 01 Jan 1970/);
  });

  it.each([
    ['no header', undefined],
    ['a malformed header', 'Token abc'],
    ['a garbage token', 'Bearer abc.def.ghi'],
  ])('when a protected route gets %s, then it answers 401 UNAUTHENTICATED', async (_label, header) => {
    const res = await api.request('GET', '/api/me', { headers: header ? { authorization: header } : {} });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });
});

describe('REST auth rate limit', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => server?.stop());

  it('when one client exceeds the sign-in limit, then it gets 429 RATE_LIMITED with Retry-After', async () => {
    const api = apiClient(server.url);
    // A client address of its own (the test talks from loopback, a trusted proxy hop).
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const attempt = () => api.request('POST', '/api/auth/login', { body: { email: uniqueEmail('rl'), password: 'whatever pw' }, headers: { 'x-forwarded-for': ip } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const limited = await attempt();
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
