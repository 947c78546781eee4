import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../src/lib/logger.js';
import { ownClientAddress } from '../support/client-address.js';
import { apiClient, registerUser, uniqueEmail, type ApiClient, type ApiResponse, type TestUser } from '../support/http.js';
import { emitRawWithAck, nestedJson } from '../support/raw-socket.js';
import { connectSocket, sleep } from '../support/sockets.js';
import { openStoreProbe, type StoreProbe, type StoredState } from '../support/stored-state.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/**
 * A fuzz pass over every REST route, GraphQL operation and socket event (issue 13): each field,
 * and each whole payload, replaced by hostile values. None of them is valid where it is put, so
 * every answer must be a client error (never a 5xx, never INTERNAL, nothing logged as an error)
 * and, at the end, nothing is written: the victim's todos, change log, sessions and refresh tokens
 * are exactly as before, and no account was created.
 */

/** Hostile values as JSON text, so that what no JSON library would write (5,000 levels, 1e999) is sent as is. */
const HOSTILE: [string, string][] = [
  ['a NUL character', JSON.stringify('a\u0000b')],
  ['a lone high surrogate', '"a\\ud800b"'],
  ['a lone low surrogate', '"\\udc00"'],
  ['10^5 characters', JSON.stringify('x'.repeat(100_000))],
  ['10^5 NUL characters', JSON.stringify('\u0000'.repeat(100_000))],
  ['a huge number', '1e308'],
  ['a number beyond float', '1e999'],
  ['an unsafe integer', '9007199254740993'],
  ['a negative number', '-1'],
  ['a fraction', '0.5'],
  ['an array', '[1,"two"]'],
  ['an empty array', '[]'],
  ['an empty object', '{}'],
  ['an operator object', '{"$gt":""}'],
  ['a prototype key', '{"__proto__":{"admin":true}}'],
  ['null', 'null'],
  ['arrays nested 5,000 deep', nestedJson(5000)],
  ['objects nested 5,000 deep', '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)],
];

/** Path segments and query values: what percent-encoding can carry. */
const HOSTILE_SEGMENTS: [string, string][] = [
  ['NUL', '%00'],
  ['an encoded lone surrogate', '%ED%A0%80'],
  ['broken percent-encoding', '%E0%A4%A'],
  ['a bare percent', '%'],
  ['10^5 characters', 'x'.repeat(100_000)],
  ['an operator', '%7B%22%24gt%22%3A%22%22%7D'],
  ['dot segments', '..%2F..%2Fetc%2Fpasswd'],
  ['a huge number', '1e308'],
];

let server: RunningServer;
let api: ApiClient;
let probe: StoreProbe;
let victim: TestUser;
let todoId: string;
let before: StoredState;
const errorsLogged = vi.spyOn(logger, 'error');
const emailPrefix = uniqueEmail('fuzz').replace(/@.*/, '');
// The fuzz's own client address (the test server trusts loopback proxies): its requests do not
// spend the rate-limit budget the rest of the suite shares on 127.0.0.1.
const address = ownClientAddress();
const answers: { label: string; status: number; code?: string; write: boolean }[] = [];

beforeAll(async () => {
  server = await startTestServer({ INSTANCE_ID: 'fuzz' });
  api = apiClient(server.url);
  probe = await openStoreProbe();
  victim = await registerUser(api, 'fuzz-victim');
  todoId = (await api.post('/api/todos', { title: 'untouched' }, victim.accessToken)).body.id;
  before = await probe.stateOf(victim.id);
  errorsLogged.mockClear();
});
afterAll(async () => {
  await probe?.close();
  await server?.stop();
});

/** The error code of any envelope: REST, GraphQL or socket ack. */
function codeOf(body: any): string | undefined {
  return body?.error?.code ?? body?.errors?.[0]?.extensions?.code;
}

async function send(label: string, method: string, path: string, options: { raw?: string; token?: string; headers?: Record<string, string>; write: boolean }) {
  let res: ApiResponse;
  try {
    res = await api.request(method, path, { raw: options.raw, token: options.token, headers: { 'x-forwarded-for': address, ...options.headers } });
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`);
  }
  answers.push({ label, status: res.status, code: codeOf(res.body), write: options.write });
}

const field = (name: string, value: string, rest: Record<string, unknown> = {}) => {
  const others = Object.entries(rest).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{${[...others, `${JSON.stringify(name)}:${value}`].join(',')}}`;
};

describe('fuzz: hostile values everywhere, nothing gets through', () => {
  it('when every REST body field and every whole body is hostile, then each answer is a 4xx', { timeout: 90_000 }, async () => {
    const password = 'correct horse battery';
    let n = 0;
    const email = () => `${emailPrefix}-${++n}@example.test`;
    for (const [name, value] of HOSTILE) {
      for (const f of ['email', 'password', 'name', 'device']) {
        const valid = { email: email(), password, name: 'Fuzz', device: 'Fuzz device' };
        delete (valid as Record<string, unknown>)[f];
        await send(`register ${f} = ${name}`, 'POST', '/api/auth/register', { raw: field(f, value, valid), write: true });
      }
      for (const f of ['email', 'password', 'device']) {
        const valid = { email: victim.email, password, device: 'Fuzz device' };
        delete (valid as Record<string, unknown>)[f];
        await send(`login ${f} = ${name}`, 'POST', '/api/auth/login', { raw: field(f, value, valid), write: true });
      }
      await send(`refresh refreshToken = ${name}`, 'POST', '/api/auth/refresh', { raw: field('refreshToken', value), write: true });
      await send(`web refresh cookie body = ${name}`, 'POST', '/api/auth/refresh', { raw: field('refreshToken', value), headers: { 'x-cobalt-client': 'web' }, write: true });
      await send(`rename device = ${name}`, 'PATCH', `/api/sessions/${victim.sessionId}`, { raw: field('device', value), token: victim.accessToken, write: true });
      await send(`create title = ${name}`, 'POST', '/api/todos', { raw: field('title', value), token: victim.accessToken, write: true });
      await send(`keyed create title = ${name}`, 'POST', '/api/todos', {
        raw: field('title', value),
        token: victim.accessToken,
        headers: { 'idempotency-key': `fuzz-${n}-${name.length}` },
        write: true,
      });
      await send(`update title = ${name}`, 'PATCH', `/api/todos/${todoId}`, { raw: field('title', value), token: victim.accessToken, write: true });
      await send(`update completed = ${name}`, 'PATCH', `/api/todos/${todoId}`, { raw: field('completed', value), token: victim.accessToken, write: true });
      await send(`update id in body = ${name}`, 'PATCH', `/api/todos/${todoId}`, { raw: field('id', value, { completed: true }), token: victim.accessToken, write: true });
      // The whole body.
      await send(`register body = ${name}`, 'POST', '/api/auth/register', { raw: value, write: true });
      await send(`login body = ${name}`, 'POST', '/api/auth/login', { raw: value, write: true });
      await send(`refresh body = ${name}`, 'POST', '/api/auth/refresh', { raw: value, write: true });
      await send(`rename body = ${name}`, 'PATCH', `/api/sessions/${victim.sessionId}`, { raw: value, token: victim.accessToken, write: true });
      await send(`create body = ${name}`, 'POST', '/api/todos', { raw: value, token: victim.accessToken, write: true });
      await send(`update body = ${name}`, 'PATCH', `/api/todos/${todoId}`, { raw: value, token: victim.accessToken, write: true });
    }
    expect(answers.filter((a) => a.status >= 500 || a.status < 400).map((a) => `${a.label}: ${a.status}`)).toEqual([]);
  });

  it('when every REST path parameter, query value and header is hostile, then each answer is a 4xx', { timeout: 90_000 }, async () => {
    answers.length = 0;
    const token = victim.accessToken;
    for (const [name, segment] of HOSTILE_SEGMENTS) {
      await send(`get todo ${name}`, 'GET', `/api/todos/${segment}`, { token, write: false });
      await send(`update todo ${name}`, 'PATCH', `/api/todos/${segment}`, { raw: '{"completed":true}', token, write: true });
      await send(`delete todo ${name}`, 'DELETE', `/api/todos/${segment}`, { token, write: true });
      await send(`rename session ${name}`, 'PATCH', `/api/sessions/${segment}`, { raw: '{"device":"x"}', token, write: true });
      await send(`revoke session ${name}`, 'DELETE', `/api/sessions/${segment}`, { token, write: true });
      for (const param of ['limit', 'cursor', 'completed', 'unknown']) {
        await send(`list ${param} = ${name}`, 'GET', `/api/todos?${param}=${segment}`, { token, write: false });
      }
      await send(`list repeated limit ${name}`, 'GET', `/api/todos?limit=1&limit=${segment}`, { token, write: false });
    }
    const headerValues: [string, string][] = [
      ['10^5 characters', 'x'.repeat(100_000)],
      ['too short', 'abc'],
      ['a path', '../../etc/passwd'],
      ['latin-1', '\u00ff\u00fe'],
    ];
    for (const [name, value] of headerValues) {
      await send(`idempotency key ${name}`, 'POST', '/api/todos', { raw: '{"title":"keyed"}', token, headers: { 'idempotency-key': value }, write: true });
      await send(`authorization ${name}`, 'GET', '/api/me', { headers: { authorization: `Bearer ${value}` }, write: false });
      await send(`request id ${name}`, 'DELETE', `/api/todos/${'f'.repeat(24)}`, { token, headers: { 'x-request-id': value }, write: true });
    }
    // A request id that is not echoed does not make a write go through: the last one above asked
    // to delete a missing todo, which is a 404.
    expect(answers.filter((a) => a.status >= 500 || a.status < 400).map((a) => `${a.label}: ${a.status}`)).toEqual([]);
  });

  it('when every GraphQL argument, and every part of the request body, is hostile, then no answer is a 5xx or INTERNAL', { timeout: 90_000 }, async () => {
    answers.length = 0;
    // GraphQL reads `null` for an optional argument as "not given" (docs/API.md): there it is no hostile value.
    const optional = (query: string) => !/\$v: \w+!/.test(query);
    const operations: [string, string, Record<string, string>][] = [
      ['todo(id)', 'query ($v: ID!) { todo(id: $v) { id } }', {}],
      ['todos(limit)', 'query ($v: Int) { todos(limit: $v) { nextCursor } }', {}],
      ['todos(cursor)', 'query ($v: String) { todos(cursor: $v) { nextCursor } }', {}],
      ['todos(completed)', 'query ($v: Boolean) { todos(completed: $v) { nextCursor } }', {}],
      ['createTodo(title)', 'mutation ($v: String!) { createTodo(title: $v) { id } }', {}],
      ['createTodo(clientMutationId)', 'mutation ($v: String) { createTodo(title: "fuzz", clientMutationId: $v) { id } }', {}],
      ['updateTodo(title)', 'mutation ($id: ID!, $v: String) { updateTodo(id: $id, title: $v) { id } }', { id: JSON.stringify(todoId) }],
      ['updateTodo(completed)', 'mutation ($id: ID!, $v: Boolean) { updateTodo(id: $id, completed: $v) { id } }', { id: JSON.stringify(todoId) }],
      ['updateTodo(id)', 'mutation ($v: ID!) { updateTodo(id: $v, completed: true) { id } }', {}],
      ['updateTodo(clientMutationId)', 'mutation ($id: ID!, $v: String) { updateTodo(id: $id, title: "changed", clientMutationId: $v) { id } }', { id: JSON.stringify(todoId) }],
      ['deleteTodo(id)', 'mutation ($v: ID!) { deleteTodo(id: $v) }', {}],
      ['deleteTodo(clientMutationId)', 'mutation ($id: ID!, $v: String) { deleteTodo(id: $id, clientMutationId: $v) }', { id: JSON.stringify(todoId) }],
    ];
    const variables = (vars: Record<string, string>, value: string) => `{${[...Object.entries(vars).map(([k, v]) => `"${k}":${v}`), `"v":${value}`].join(',')}}`;
    for (const [name, value] of HOSTILE) {
      for (const [op, query, vars] of operations) {
        if (value === 'null' && optional(query)) continue;
        await send(`${op} = ${name}`, 'POST', '/graphql', {
          raw: `{"query":${JSON.stringify(query)},"variables":${variables(vars, value)}}`,
          token: victim.accessToken,
          write: query.startsWith('mutation'),
        });
      }
      for (const part of ['query', 'variables', 'operationName', 'extensions']) {
        const body = part === 'query' ? `{"query":${value}}` : `{"query":"{ me { id } }","${part}":${value}}`;
        await send(`graphql ${part} = ${name}`, 'POST', '/graphql', { raw: body, token: victim.accessToken, write: false });
      }
      await send(`graphql body = ${name}`, 'POST', '/graphql', { raw: value, token: victim.accessToken, write: false });
      await send(`anonymous graphql ${name}`, 'POST', '/graphql', {
        raw: `{"query":"mutation ($v: String!) { createTodo(title: $v) { id } }","variables":{"v":${value}}}`,
        write: true,
      });
    }
    for (const [name, segment] of HOSTILE_SEGMENTS) {
      await send(`graphql GET query = ${name}`, 'GET', `/graphql?query=${segment}`, { token: victim.accessToken, headers: { 'apollo-require-preflight': 'true' }, write: false });
    }
    const bad = answers.filter((a) => a.status >= 500 || a.code === 'INTERNAL' || a.code === 'UNAVAILABLE' || (a.write && a.status < 400 && a.code === undefined));
    expect(bad.map((a) => `${a.label}: ${a.status} ${a.code}`)).toEqual([]);
  });

  it('when every socket event field, and every whole payload, is hostile, then each ack is a client error and nothing is announced', { timeout: 90_000 }, async () => {
    const connect = () => connectSocket(server.url, victim.accessToken, { transports: ['websocket'] });
    const listener = await connect();
    let socket = await connect();
    const acks: { label: string; ack: any }[] = [];
    const emit = async (label: string, event: string, payload: string) => {
      // Beyond the 64 KB message limit the server closes the connection (docs/API.md): nothing runs.
      if (payload.length > 64 * 1024) {
        const closed = new Promise<string>((resolve) => socket.socket.once('disconnect', resolve));
        void emitRawWithAck(socket, event, payload, 1000).then((ack) => acks.push({ label, ack: ack === 'no answer' ? { error: { code: 'CLOSED' } } : ack }));
        expect(await closed, label).toMatch(/transport close|transport error/);
        socket = await connect();
        return;
      }
      acks.push({ label, ack: await emitRawWithAck(socket, event, payload) });
    };
    for (const [name, value] of HOSTILE) {
      await emit(`todo:create title = ${name}`, 'todo:create', field('title', value));
      await emit(`todo:create key = ${name}`, 'todo:create', field('clientMutationId', value, { title: 'fuzz' }));
      await emit(`todo:update title = ${name}`, 'todo:update', field('title', value, { id: todoId }));
      await emit(`todo:update completed = ${name}`, 'todo:update', field('completed', value, { id: todoId }));
      await emit(`todo:update id = ${name}`, 'todo:update', field('id', value, { completed: true }));
      await emit(`todo:update key = ${name}`, 'todo:update', field('clientMutationId', value, { id: todoId, title: 'changed' }));
      await emit(`todo:delete id = ${name}`, 'todo:delete', field('id', value));
      await emit(`todo:delete key = ${name}`, 'todo:delete', field('clientMutationId', value, { id: todoId }));
      await emit(`sync since = ${name}`, 'sync', field('since', value));
      await emit(`auth:refresh token = ${name}`, 'auth:refresh', field('token', value));
      for (const event of ['todo:create', 'todo:update', 'todo:delete', 'sync', 'auth:refresh']) await emit(`${event} payload = ${name}`, event, value);
    }
    const bad = acks.filter(({ ack }) => ack === 'no answer' || !ack?.error || ['INTERNAL', 'UNAVAILABLE'].includes(ack.error.code));
    // `sync` with a huge whole number is a valid read (a reset); it writes nothing.
    const writesAnswered = bad.filter(({ label, ack }) => !(label.startsWith('sync since') && ack?.data));
    expect(writesAnswered.map(({ label, ack }) => `${label}: ${JSON.stringify(ack).slice(0, 200)}`)).toEqual([]);
    await sleep(150);
    expect(listener.events.filter((e) => e.event.startsWith('todo:'))).toEqual([]);
    listener.close();
    socket.close();
  });

  it('then nothing was written: the victim is untouched, no account was created and nothing was logged as an error', async () => {
    expect(await probe.stateOf(victim.id)).toEqual(before);
    expect(await probe.usersWithEmailPrefix(emailPrefix)).toBe(0);
    expect(errorsLogged.mock.calls.map((c) => JSON.stringify(c).slice(0, 300))).toEqual([]);
    // And the victim's own requests still work.
    expect((await api.get(`/api/todos/${todoId}`, victim.accessToken)).body.title).toBe('untouched');
  });
});
