import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, uniqueEmail, type ApiClient, type ApiResponse } from '../support/http.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/**
 * Answers that carry tokens or account data must never be kept by a cache, shared or private
 * (issue 13, finding 8; RFC 6749 §5.1 for the token answers): each is `Cache-Control: no-store`.
 */
describe('Cache-Control on answers with tokens or account data', () => {
  let server: RunningServer;
  let api: ApiClient;
  beforeAll(async () => {
    server = await startTestServer({ INSTANCE_ID: 'no-store' });
    api = apiClient(server.url);
  });
  afterAll(() => server?.stop());

  const expectNoStore = (label: string, res: ApiResponse) => {
    expect(res.status, label).toBeLessThan(500);
    expect(res.headers.get('cache-control'), label).toBe('no-store');
  };

  it('when tokens are issued (register, sign-in, refresh, in the body or the cookie), then the answer is no-store and Pragma no-cache', async () => {
    const email = uniqueEmail('no-store');
    const web = { 'x-cobalt-client': 'web' };
    const register = await api.post('/api/auth/register', { email, password: 'correct horse battery', name: 'N' });
    const login = await api.post('/api/auth/login', { email, password: 'correct horse battery' });
    const refresh = await api.post('/api/auth/refresh', { refreshToken: login.body.refreshToken });
    const webLogin = await api.request('POST', '/api/auth/login', { body: { email, password: 'correct horse battery' }, headers: web });
    const cookie = (webLogin.headers.get('set-cookie') ?? '').split(';')[0]!;
    const webRefresh = await api.request('POST', '/api/auth/refresh', { headers: { ...web, cookie } });
    for (const [label, res] of Object.entries({ register, login, refresh, webLogin, webRefresh })) {
      expect(res.body.accessToken, label).toEqual(expect.any(String));
      expectNoStore(label, res);
      expect(res.headers.get('pragma'), label).toBe('no-cache');
    }
  });

  it('when account data or todos are read or written over REST, then every answer is no-store, errors included', async () => {
    const user = await registerUser(api, 'no-store-data');
    const token = user.accessToken;
    const todo = await api.post('/api/todos', { title: 'private' }, token);
    const answers: Record<string, ApiResponse> = {
      me: await api.get('/api/me', token),
      sessions: await api.get('/api/sessions', token),
      rename: await api.patch(`/api/sessions/${user.sessionId}`, { device: 'Laptop' }, token),
      create: todo,
      list: await api.get('/api/todos', token),
      one: await api.get(`/api/todos/${todo.body.id}`, token),
      update: await api.patch(`/api/todos/${todo.body.id}`, { completed: true }, token),
      unauthenticated: await api.get('/api/me'),
      invalid: await api.post('/api/todos', { title: '' }, token),
      missing: await api.get('/api/todos/aaaaaaaaaaaaaaaaaaaaaaaa', token),
    };
    for (const [label, res] of Object.entries(answers)) expectNoStore(label, res);
  });

  it('when account data is read over GraphQL, by POST or by GET, then the answer is no-store', async () => {
    const user = await registerUser(api, 'no-store-graphql');
    const query = '{ me { id email } sessions { id device } todos { items { id } } }';
    const post = await api.graphql(query, {}, user.accessToken);
    const get = await api.request('GET', `/graphql?query=${encodeURIComponent(query)}`, { token: user.accessToken, headers: { 'apollo-require-preflight': 'true' } });
    for (const [label, res] of Object.entries({ post, get })) {
      expect(res.body.data?.me?.email, label).toBe(user.email);
      expectNoStore(label, res);
    }
  });
});
