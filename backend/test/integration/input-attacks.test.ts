import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUserRepository } from '../../src/components/auth/data-access/user-repository.js';
import { createPrismaClient } from '../../src/infra/postgres/client.js';
import { logger } from '../../src/lib/logger.js';
import { services } from '../support/env.js';
import { apiClient, registerUser, uniqueEmail, type ApiClient, type TestUser } from '../support/http.js';
import { emitRawWithAck, nestedJson } from '../support/raw-socket.js';
import { connectSocket, sleep, type RecordingSocket } from '../support/sockets.js';
import { openStoreProbe, type StoreProbe } from '../support/stored-state.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/**
 * Hostile input that reached the stores or the request fingerprint before it was checked
 * (issue 13, findings 4 to 6): every attempt is refused with a 400-class answer naming the field,
 * never a 500, and the stores hold exactly what they held before.
 */
const UNSTORABLE: [string, string][] = [
  ['a NUL character', 'a\u0000b'],
  ['an unpaired surrogate', 'a\ud800b'],
];

let server: RunningServer;
let api: ApiClient;
let probe: StoreProbe;
const errorsLogged = vi.spyOn(logger, 'error');
const open: RecordingSocket[] = [];

beforeAll(async () => {
  server = await startTestServer({ INSTANCE_ID: 'input-attacks' });
  api = apiClient(server.url);
  probe = await openStoreProbe();
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
afterAll(async () => {
  await probe?.close();
  await server?.stop();
});

/** A user with one todo, and a second socket of theirs that must hear nothing. */
async function victim(label: string): Promise<{ user: TestUser; todo: any; listener: RecordingSocket; socket: RecordingSocket }> {
  const user = await registerUser(api, label);
  const todo = (await api.post('/api/todos', { title: 'original' }, user.accessToken)).body;
  const [listener, socket] = await Promise.all([connectSocket(server.url, user.accessToken), connectSocket(server.url, user.accessToken)]);
  open.push(listener, socket);
  return { user, todo, listener, socket };
}

async function expectNothingHeard(listener: RecordingSocket) {
  await sleep(150);
  expect(listener.events.filter((e) => e.event !== 'hello')).toEqual([]);
}

describe('text a store cannot keep (NUL, unpaired surrogates)', () => {
  it.each(UNSTORABLE)('when a registration has %s in its name, device or password, then it is 400 and no account exists', async (_label, bad) => {
    errorsLogged.mockClear();
    const email = uniqueEmail('nul-register');
    for (const field of [{ name: bad }, { device: bad }, { password: `${bad} long enough` }]) {
      const res = await api.post('/api/auth/register', { email, password: 'correct horse battery', name: 'Ada', ...field });
      expect(res.status, JSON.stringify(field)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details).toEqual([{ path: Object.keys(field)[0], message: expect.stringMatching(/must not contain the NUL character or an unpaired surrogate/) }]);
    }
    expect(await probe.usersWithEmailPrefix(email)).toBe(0);
    expect((await api.post('/api/auth/login', { email, password: 'correct horse battery' })).status).toBe(401);
    // Nothing half-written blocks the email: the same registration, clean, goes through.
    expect((await api.post('/api/auth/register', { email, password: 'correct horse battery', name: 'Ada' })).status).toBe(201);
    expect(errorsLogged).not.toHaveBeenCalled();
  });

  it.each(UNSTORABLE)('when a sign-in or a device rename has %s in the device name, then it is 400 and the sessions are unchanged', async (_label, bad) => {
    const user = await registerUser(api, 'nul-device');
    const before = await probe.stateOf(user.id);
    const login = await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery', device: bad });
    expect(login.status).toBe(400);
    expect(login.body.error.details[0].path).toBe('device');
    const rename = await api.patch(`/api/sessions/${user.sessionId}`, { device: bad }, user.accessToken);
    expect(rename.status).toBe(400);
    expect(rename.body.error.details[0].path).toBe('device');
    expect(await probe.stateOf(user.id)).toEqual(before);
  });

  it.each(UNSTORABLE)('when a todo title has %s, then REST, GraphQL and sockets refuse it and nothing is written or announced', async (_label, bad) => {
    errorsLogged.mockClear();
    const { user, todo, listener, socket } = await victim('nul-title');
    const before = await probe.stateOf(user.id);
    const token = user.accessToken;

    const rest = [await api.post('/api/todos', { title: bad }, token), await api.patch(`/api/todos/${todo.id}`, { title: bad }, token)];
    for (const res of rest) {
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'title', message: 'Title must not contain the NUL character or an unpaired surrogate' }]);
    }
    const graphql = [
      await api.graphql('mutation ($t: String!) { createTodo(title: $t) { id } }', { t: bad }, token),
      await api.graphql('mutation ($id: ID!, $t: String) { updateTodo(id: $id, title: $t) { id } }', { id: todo.id, t: bad }, token),
    ];
    if (bad.includes('\u0000')) graphql.push(await api.graphql('mutation { createTodo(title: "a\\u0000b") { id } }', {}, token));
    for (const res of graphql) {
      expect(res.status).not.toBe(500);
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'title', message: expect.any(String) }] });
    }
    const acks = [await socket.emitWithAck('todo:create', { title: bad }), await socket.emitWithAck('todo:update', { id: todo.id, title: bad })];
    for (const ack of acks) expect(ack.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'title', message: expect.any(String) }] });

    await expectNothingHeard(listener);
    expect(await probe.stateOf(user.id)).toEqual(before);
    expect(errorsLogged).not.toHaveBeenCalled();
  });

  it('when the first session of a new account cannot be stored, then the account is not stored either', async () => {
    // Straight at the repository, past validation: PostgreSQL itself refuses a NUL in the device.
    const db = createPrismaClient(services.databaseUrl);
    try {
      const users = createUserRepository(db);
      const email = uniqueEmail('atomic-register');
      const attempt = users.createWithFirstSession({
        email,
        name: 'Ada',
        passwordHash: 'not-a-real-hash',
        session: { device: 'x\u0000', refreshTokenHash: randomUUID(), refreshExpiresAt: new Date(Date.now() + 60_000) },
      });
      await expect(attempt).rejects.toThrow();
      expect(await probe.usersWithEmailPrefix(email)).toBe(0);
    } finally {
      await db.$disconnect();
    }
  });
});

describe('deeply nested JSON with an idempotency key', () => {
  const deep = nestedJson(5000);

  it('when a title is nested 5,000 levels deep, then every API answers 400 with or without a key, and the key stays unused', async () => {
    errorsLogged.mockClear();
    const { user, todo, listener, socket } = await victim('deep');
    const before = await probe.stateOf(user.id);
    const key = `deep-${randomUUID()}`;
    const token = user.accessToken;

    for (const headers of [{ 'idempotency-key': key }, {}] as Record<string, string>[]) {
      const post = await api.request('POST', '/api/todos', { raw: `{"title":${deep}}`, token, headers });
      const patch = await api.request('PATCH', `/api/todos/${todo.id}`, { raw: `{"title":${deep}}`, token, headers });
      for (const res of [post, patch]) {
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'title', message: 'Title must be a string' }] });
      }
    }
    const graphqlBodies = [
      `{"query":"mutation ($t: String!, $k: String) { createTodo(title: $t, clientMutationId: $k) { id } }","variables":{"t":${deep},"k":"${key}"}}`,
      `{"query":"mutation ($id: ID!, $t: String, $k: String) { updateTodo(id: $id, title: $t, clientMutationId: $k) { id } }","variables":{"id":"${todo.id}","t":${deep},"k":"${key}"}}`,
    ];
    for (const raw of graphqlBodies) {
      const res = await api.request('POST', '/graphql', { raw, token });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    }
    const socketAcks = [
      await emitRawWithAck(socket, 'todo:create', `{"title":${deep},"clientMutationId":"${key}"}`),
      await emitRawWithAck(socket, 'todo:update', `{"id":"${todo.id}","title":${deep},"clientMutationId":"${key}"}`),
      await emitRawWithAck(socket, 'todo:create', `{"title":"x","clientMutationId":${deep}}`),
    ];
    for (const ack of socketAcks) expect(ack).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });

    await expectNothingHeard(listener);
    expect(await probe.stateOf(user.id)).toEqual(before);
    expect(errorsLogged).not.toHaveBeenCalled();
    // Nothing was logged under the key: its first real use is applied.
    const first = await api.request('POST', '/api/todos', { body: { title: 'keyed' }, token, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(first.body.title).toBe('keyed');
  });
});

describe('one way per API to give the idempotency key', () => {
  it('when a REST body carries clientMutationId, then it is refused like any unknown field and nothing is written', async () => {
    const { user, todo, listener } = await victim('body-key');
    const before = await probe.stateOf(user.id);
    const key = `body-${randomUUID()}`;
    const post = await api.post('/api/todos', { title: 'x', clientMutationId: key }, user.accessToken);
    const patch = await api.patch(`/api/todos/${todo.id}`, { completed: true, clientMutationId: key }, user.accessToken);
    for (const res of [post, patch]) {
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: '', message: expect.stringContaining('Unrecognized key: "clientMutationId"') }]);
    }
    await expectNothingHeard(listener);
    expect(await probe.stateOf(user.id)).toEqual(before);
    // The header is the REST spelling, and it works.
    const keyed = await api.request('POST', '/api/todos', { body: { title: 'x' }, token: user.accessToken, headers: { 'idempotency-key': key } });
    expect(keyed.status).toBe(201);
  });

  it("when a PATCH body carries an id, then it is refused (the id is the path's) and nothing changes", async () => {
    const { user, todo } = await victim('body-id');
    const other = (await api.post('/api/todos', { title: 'other' }, user.accessToken)).body;
    const before = await probe.stateOf(user.id);
    const res = await api.patch(`/api/todos/${todo.id}`, { id: other.id, completed: true }, user.accessToken);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'id', message: 'The todo id goes in the path, not the body' }]);
    expect(await probe.stateOf(user.id)).toEqual(before);
  });
});

describe('requests Express itself cannot read', () => {
  it('when a path parameter has broken percent-encoding or a body does not decompress, then it is 400 and nothing is written', async () => {
    errorsLogged.mockClear();
    const { user, todo } = await victim('express-bad');
    const before = await probe.stateOf(user.id);
    const token = user.accessToken;
    const cases = [
      await api.request('GET', '/api/todos/%E0%A4%A', { token }),
      await api.request('PATCH', '/api/todos/%ED%A0%80', { body: { completed: true }, token }),
      await api.request('PATCH', '/api/sessions/%ZZ', { body: { device: 'x' }, token }),
      await api.request('DELETE', `/api/sessions/%C0%AF${user.sessionId}`, { token }),
      await api.request('POST', '/api/todos', { raw: '{"title":"x"}', token, headers: { 'content-encoding': 'gzip' } }),
      await api.request('POST', '/api/todos', { raw: '{"title":"x"}', token, headers: { 'content-encoding': 'br' } }),
      await api.request('PATCH', `/api/todos/${todo.id}`, { raw: '{"completed":true}', token, headers: { 'content-encoding': 'deflate' } }),
    ];
    for (const res of cases) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect(await probe.stateOf(user.id)).toEqual(before);
    expect(errorsLogged).not.toHaveBeenCalled();
    // A body that really is gzip is read as usual.
    const gzipped = await fetch(`${server.url}/api/todos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync('{"title":"zipped"}'),
    });
    expect(gzipped.status).toBe(201);
  });
});
