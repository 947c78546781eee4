import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../support/http.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

describe('REST todos', () => {
  let server: RunningServer;
  let api: ApiClient;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    server = await startTestServer();
    api = apiClient(server.url);
    [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
  });
  afterAll(() => server?.stop());

  it('when a todo is created, updated and deleted, then each answer follows the contract', async () => {
    const created = await api.post('/api/todos', { title: '  Write the docs ' }, alice.accessToken);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[a-f0-9]{24}$/),
      title: 'Write the docs',
      completed: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      version: 1,
    });
    const id = created.body.id;

    const toggled = await api.patch(`/api/todos/${id}`, { completed: true }, alice.accessToken);
    expect(toggled.status).toBe(200);
    expect(toggled.body).toMatchObject({ id, completed: true, title: 'Write the docs', version: 2 });

    const renamed = await api.patch(`/api/todos/${id}`, { title: 'Ship the docs' }, alice.accessToken);
    expect(renamed.body).toMatchObject({ title: 'Ship the docs', completed: true, version: 3 });
    expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt));

    expect((await api.get(`/api/todos/${id}`, alice.accessToken)).body).toEqual(renamed.body);
    const deleted = await api.del(`/api/todos/${id}`, alice.accessToken);
    expect(deleted.status).toBe(204);
    expect((await api.get(`/api/todos/${id}`, alice.accessToken)).status).toBe(404);
    expect((await api.del(`/api/todos/${id}`, alice.accessToken)).status).toBe(404);
  });

  it('when listing, then pages follow the cursor and the completed filter applies', async () => {
    const user = await registerUser(api, 'pager');
    const titles = ['a', 'b', 'c', 'd', 'e'];
    const ids: string[] = [];
    for (const title of titles) ids.push((await api.post('/api/todos', { title }, user.accessToken)).body.id);
    await api.patch(`/api/todos/${ids[1]}`, { completed: true }, user.accessToken);

    const page1 = await api.get('/api/todos?limit=2', user.accessToken);
    expect(page1.body.items.map((t: { title: string }) => t.title)).toEqual(['a', 'b']);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await api.get(`/api/todos?limit=2&cursor=${page1.body.nextCursor}`, user.accessToken);
    expect(page2.body.items.map((t: { title: string }) => t.title)).toEqual(['c', 'd']);
    const page3 = await api.get(`/api/todos?limit=2&cursor=${page2.body.nextCursor}`, user.accessToken);
    expect(page3.body).toEqual({ items: [expect.objectContaining({ title: 'e' })], nextCursor: null });

    const done = await api.get('/api/todos?completed=true', user.accessToken);
    expect(done.body.items.map((t: { id: string }) => t.id)).toEqual([ids[1]]);
    const active = await api.get('/api/todos?completed=false', user.accessToken);
    expect(active.body.items).toHaveLength(4);
  });

  it('when todos are created on two instances within the same second, then the list is in creation order', async () => {
    const user = await registerUser(api, 'order');
    const other = await startTestServer({ INSTANCE_ID: 'order-b' });
    try {
      const titles = ['first', 'second', 'third', 'fourth'];
      for (const [i, title] of titles.entries()) {
        await apiClient(i % 2 ? other.url : server.url).post('/api/todos', { title }, user.accessToken);
        await new Promise((r) => setTimeout(r, 5));
      }
      const page1 = await api.get('/api/todos?limit=3', user.accessToken);
      const page2 = await api.get(`/api/todos?limit=3&cursor=${page1.body.nextCursor}`, user.accessToken);
      expect([...page1.body.items, ...page2.body.items].map((t: { title: string }) => t.title)).toEqual(titles);
    } finally {
      await other.stop();
    }
  });

  it("when Bob uses Alice's todo id, then every route answers 404 exactly like a missing id, and nothing changes", async () => {
    const todo = (await api.post('/api/todos', { title: 'private' }, alice.accessToken)).body;
    const missing = new Types.ObjectId().toHexString();
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { completed: true }],
      ['DELETE', undefined],
    ] as const) {
      const foreign = await api.request(method, `/api/todos/${todo.id}`, { body, token: bob.accessToken });
      const absent = await api.request(method, `/api/todos/${missing}`, { body, token: bob.accessToken });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual(absent.body);
    }
    expect((await api.get('/api/todos', bob.accessToken)).body.items.map((t: { id: string }) => t.id)).not.toContain(todo.id);
    expect((await api.get(`/api/todos/${todo.id}`, alice.accessToken)).body).toEqual(todo);
  });

  describe('bad input', () => {
    const cases: { name: string; method: string; path: (id: string) => string; raw?: string; body?: unknown; status: number; code: string; headers?: Record<string, string> }[] = [
      { name: 'malformed JSON', method: 'POST', path: () => '/api/todos', raw: '{"title": ', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a JSON array body', method: 'POST', path: () => '/api/todos', body: [{ title: 'x' }], status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a missing title', method: 'POST', path: () => '/api/todos', body: {}, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'an empty title', method: 'POST', path: () => '/api/todos', body: { title: '' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a 501-character title', method: 'POST', path: () => '/api/todos', body: { title: 'x'.repeat(501) }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a numeric title', method: 'POST', path: () => '/api/todos', body: { title: 7 }, status: 400, code: 'VALIDATION_FAILED' },
      { name: '{"$gt": ""} as the title', method: 'POST', path: () => '/api/todos', body: { title: { $gt: '' } }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a mass-assigned owner', method: 'POST', path: () => '/api/todos', body: { title: 'x', userId: 'other' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a string for completed', method: 'PATCH', path: (id) => `/api/todos/${id}`, body: { completed: 'yes' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'an operator object for completed', method: 'PATCH', path: (id) => `/api/todos/${id}`, body: { completed: { $ne: false } }, status: 400, code: 'VALIDATION_FAILED' },
      {
        name: 'an id in the patch body',
        method: 'PATCH',
        path: (id) => `/api/todos/${id}`,
        body: { id: '0123456789abcdef01234567', completed: true },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      { name: 'an empty patch', method: 'PATCH', path: (id) => `/api/todos/${id}`, body: {}, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a malformed id', method: 'PATCH', path: () => '/api/todos/not-an-id', body: { completed: true }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'an operator-looking id', method: 'DELETE', path: () => '/api/todos/%7B%22%24gt%22%3A%22%22%7D', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'limit=0', method: 'GET', path: () => '/api/todos?limit=0', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'limit=101', method: 'GET', path: () => '/api/todos?limit=101', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'limit=abc', method: 'GET', path: () => '/api/todos?limit=abc', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'completed=maybe', method: 'GET', path: () => '/api/todos?completed=maybe', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'an operator in the query', method: 'GET', path: () => '/api/todos?completed[$ne]=true', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a bad cursor', method: 'GET', path: () => '/api/todos?cursor=zzz', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a body over 64 KB', method: 'POST', path: () => '/api/todos', raw: JSON.stringify({ title: 'x'.repeat(70_000) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
      { name: 'an unknown route', method: 'GET', path: () => '/api/nope', status: 404, code: 'NOT_FOUND' },
    ];

    it.each(cases)('when sending $name, then it answers $status $code and stores nothing', async (c) => {
      const user = await registerUser(api, 'bad');
      const todo = (await api.post('/api/todos', { title: 'original' }, user.accessToken)).body;
      const res = await api.request(c.method, c.path(todo.id), { body: c.body, raw: c.raw, token: user.accessToken, headers: c.headers });
      expect(res.status).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(res.body.error.message).toEqual(expect.any(String));
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
      const after = await api.get('/api/todos', user.accessToken);
      expect(after.body.items).toEqual([todo]);
    });
  });
});
