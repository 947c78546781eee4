import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../support/http.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

const TODO_FIELDS = 'id title completed createdAt updatedAt version owner { id email name }';

describe('GraphQL', () => {
  let server: RunningServer;
  let api: ApiClient;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    server = await startTestServer();
    api = apiClient(server.url);
    [alice, bob] = await Promise.all([registerUser(api, 'gq-alice'), registerUser(api, 'gq-bob')]);
  });
  afterAll(() => server?.stop());

  it('when todos are created, updated and deleted through mutations, then the data follows the schema', async () => {
    const created = await api.graphql(`mutation ($t: String!) { createTodo(title: $t) { ${TODO_FIELDS} } }`, { t: 'From GraphQL' }, alice.accessToken);
    expect(created.body.errors).toBeUndefined();
    const todo = created.body.data.createTodo;
    expect(todo).toMatchObject({ title: 'From GraphQL', completed: false, version: 1, owner: { id: alice.id, email: alice.email } });

    const updated = await api.graphql(`mutation ($id: ID!) { updateTodo(id: $id, completed: true) { id completed version } }`, { id: todo.id }, alice.accessToken);
    expect(updated.body.data.updateTodo).toEqual({ id: todo.id, completed: true, version: 2 });

    const one = await api.graphql(`query ($id: ID!) { todo(id: $id) { id title completed } }`, { id: todo.id }, alice.accessToken);
    expect(one.body.data.todo).toEqual({ id: todo.id, title: 'From GraphQL', completed: true });

    const deleted = await api.graphql(`mutation ($id: ID!) { deleteTodo(id: $id) }`, { id: todo.id }, alice.accessToken);
    expect(deleted.body.data.deleteTodo).toBe(true);
    const gone = await api.graphql(`query ($id: ID!) { todo(id: $id) { id } }`, { id: todo.id }, alice.accessToken);
    expect(gone.body.data.todo).toBeNull();
  });

  it('when listing with owner, then every item carries its owner and pagination works', async () => {
    const user = await registerUser(api, 'gq-list');
    for (const title of ['one', 'two', 'three']) await api.post('/api/todos', { title }, user.accessToken);
    const page = await api.graphql(`{ todos(limit: 2) { items { ${TODO_FIELDS} } nextCursor } me { id } sessions { id current } }`, {}, user.accessToken);
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data.todos.items.map((t: { title: string }) => t.title)).toEqual(['one', 'two']);
    expect(page.body.data.todos.items.every((t: { owner: { id: string } }) => t.owner.id === user.id)).toBe(true);
    expect(page.body.data.sessions).toEqual([{ id: user.sessionId, current: true }]);
    const next = await api.graphql(`query ($c: String) { todos(limit: 2, cursor: $c) { items { title } nextCursor } }`, { c: page.body.data.todos.nextCursor }, user.accessToken);
    expect(next.body.data.todos).toEqual({ items: [{ title: 'three' }], nextCursor: null });
  });

  it("when Bob reads, updates or deletes Alice's todo, then he is told NOT_FOUND (or null) and nothing changes", async () => {
    const todo = (await api.post('/api/todos', { title: 'alice only' }, alice.accessToken)).body;
    const read = await api.graphql(`query ($id: ID!) { todo(id: $id) { id } }`, { id: todo.id }, bob.accessToken);
    expect(read.body.data.todo).toBeNull();
    const update = await api.graphql(`mutation ($id: ID!) { updateTodo(id: $id, title: "pwned") { id } }`, { id: todo.id }, bob.accessToken);
    expect(update.body.errors[0].extensions.code).toBe('NOT_FOUND');
    const del = await api.graphql(`mutation ($id: ID!) { deleteTodo(id: $id) }`, { id: todo.id }, bob.accessToken);
    expect(del.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect((await api.get(`/api/todos/${todo.id}`, alice.accessToken)).body).toEqual(todo);
  });

  it.each([
    ['an empty title', 'mutation { createTodo(title: "") { id } }', 'VALIDATION_FAILED'],
    ['a too-long title', `mutation { createTodo(title: "${'x'.repeat(501)}") { id } }`, 'VALIDATION_FAILED'],
    ['a malformed id', 'mutation { updateTodo(id: "nope", completed: true) { id } }', 'VALIDATION_FAILED'],
    ['a wrongly typed argument', 'mutation { updateTodo(id: "0123456789abcdef01234567", completed: "yes") { id } }', 'VALIDATION_FAILED'],
    ['an unknown field', '{ todos { items { secret } } }', 'VALIDATION_FAILED'],
    ['a syntax error', '{ todos { ', 'VALIDATION_FAILED'],
    ['limit 0', '{ todos(limit: 0) { nextCursor } }', 'VALIDATION_FAILED'],
  ])('when a request has %s, then it fails with %s and no stack trace', async (_label, query, code) => {
    const res = await api.graphql(query, {}, alice.accessToken);
    expect(res.body.errors[0].extensions.code).toBe(code);
    expect(res.body.errors[0].extensions.stacktrace).toBeUndefined();
    expect(res.status).not.toBe(500);
  });

  it('when the request has no token, then fields answer UNAUTHENTICATED; a bad token is refused outright', async () => {
    const anonymous = await api.graphql('{ me { id } }');
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const forged = await api.graphql('{ me { id } }', {}, 'abc.def.ghi');
    expect(forged.status).toBe(401);
    expect(forged.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('when a GET query comes without a CSRF header, then it is refused', async () => {
    const res = await api.request('GET', `/graphql?query=${encodeURIComponent('{ me { id } }')}`, { token: alice.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.data?.me).toBeUndefined();
  });

  it('when a mutation is sent with GET, then it is refused 405 with Allow: POST and nothing runs', async () => {
    const query = encodeURIComponent('mutation { createTodo(title: "over GET") { id } }');
    const res = await fetch(`${server.url}/graphql?query=${query}`, { headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${alice.accessToken}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await res.json()).errors[0].extensions.code).toBe('VALIDATION_FAILED');
    const list = await api.graphql('{ todos { items { title } } }', {}, alice.accessToken);
    expect(list.body.data.todos.items.map((t: { title: string }) => t.title)).not.toContain('over GET');
  });

  it("when a field fails on the client's input, then its error says so in extensions.classification too", async () => {
    const res = await api.graphql('{ todo(id: "nope") { id } }', {}, alice.accessToken);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', classification: 'BAD_REQUEST' });
    const missing = await api.graphql('mutation { deleteTodo(id: "aaaaaaaaaaaaaaaaaaaaaaaa") }', {}, alice.accessToken);
    expect(missing.body.errors[0].extensions).toMatchObject({ code: 'NOT_FOUND', classification: 'NOT_FOUND' });
  });

  it('when a batched request is sent, then it is refused', async () => {
    const res = await api.request('POST', '/graphql', { body: [{ query: '{ me { id } }' }, { query: '{ me { id } }' }], token: alice.accessToken });
    expect(res.status).toBe(400);
  });
});

describe('GraphQL abuse limits', () => {
  let server: RunningServer;
  let api: ApiClient;
  let user: TestUser;
  beforeAll(async () => {
    server = await startTestServer();
    api = apiClient(server.url);
    user = await registerUser(api, 'gq-armor');
  });
  afterAll(() => server?.stop());

  it('when a query is nested deeper than the limit, then it is refused and nothing runs', async () => {
    // The schema's own nesting stops at depth 4 (todos > items > owner > id); a type's description nests deeper.
    const deepest = '{ todos { items { owner { id } } } }';
    expect((await api.graphql(deepest, {}, user.accessToken)).body.errors).toBeUndefined();
    const tooDeep = `query { __type(name: "Todo") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }`;
    const res = await api.graphql(tooDeep, {}, user.accessToken);
    expect(res.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors[0].message).toMatch(/depth/i);
    expect(res.body.data).toBeUndefined();
  });

  it('when a client sends the standard introspection query where introspection is on, then the depth limit lets it through and the schema comes back', async () => {
    // What GraphiQL, codegen and gql's fetch_schema_from_transport send: 21 levels deep.
    const res = await api.graphql(getIntrospectionQuery(), {}, user.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(`${printSchema(buildClientSchema(res.body.data))}\n`).toBe(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
  });

  it('when a query uses too many aliases, then it is refused', async () => {
    const aliases = Array.from({ length: 11 }, (_, i) => `a${i}: me { id }`).join(' ');
    const res = await api.graphql(`{ ${aliases} }`, {}, user.accessToken);
    expect(res.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors[0].message).toMatch(/alias/i);
  });

  it('when a query is too costly, then it is refused before any todo is read', async () => {
    const costly = Array.from({ length: 10 }, (_, i) => `t${i}: todos(limit: 100) { items { id title completed owner { id email name } } }`).join(' ');
    const res = await api.graphql(`{ ${costly} }`, {}, user.accessToken);
    expect(res.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors[0].message).toMatch(/cost/i);
    expect(res.body.data).toBeUndefined();
  });

  it('when a query has too many tokens, then it is refused', async () => {
    const res = await api.graphql(`{ me { ${'id '.repeat(2100)} } }`, {}, user.accessToken);
    expect(res.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors[0].message).toMatch(/token/i);
  });
});

describe('GraphQL in production', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production', INSTANCE_ID: 'gq-prod' });
  });
  afterAll(() => server?.stop());

  it('when introspection is asked in production, then it is refused', async () => {
    const res = await apiClient(server.url).graphql('{ __schema { queryType { name } } }');
    expect(res.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(res.body.data).toBeUndefined();
  });

  it('when a field is misspelt in production, then no suggestion leaks the schema', async () => {
    const res = await apiClient(server.url).graphql('{ tod { id } }');
    expect(res.body.errors[0].message).not.toMatch(/Did you mean/);
  });
});
