import { describe, expect, it } from 'vitest';
import { CobaltError, backoffDelay, createCobaltClient, isRetryable, memoryStorage } from '../src/index.js';
import { fakeAccessToken } from '../src/testing/fake-server.js';
import { FakeCobaltServer, settle, startDevice } from './support.js';

// The public hooks that tools embedding the SDK (load generators, the fault suite's simulated
// devices) keep their own accounts with.

describe('adoptSession', () => {
  const session = (server: FakeCobaltServer) => ({
    user: { id: server.userId, email: 'ada@example.com', name: 'Ada' },
    sessionId: 'session-9',
    accessToken: fakeAccessToken(server.userId, 'session-9'),
    refreshToken: 'refresh-session-9',
  });

  it('when given the answer of a login made elsewhere, then the client is signed in as that session, keeps it and syncs', async () => {
    const server = new FakeCobaltServer();
    const storage = memoryStorage();
    const client = createCobaltClient({ baseUrl: 'http://cobalt.test', storage, transport: server.transport(), fetch: () => Promise.reject(new Error('no HTTP')) });
    await client.start();
    const user = await client.adoptSession(session(server));
    await settle();
    expect(user.id).toBe(server.userId);
    expect(client.sessionId).toBe('session-9');
    expect(client.todos.state.get().synced).toBe(true);
    expect(await storage.get<{ refreshToken: string }>('session')).toMatchObject({ refreshToken: 'refresh-session-9' });
    await client.stop();
  });

  it('when the answer lacks its refresh token, then it is refused with VALIDATION_FAILED and nobody is signed in', async () => {
    const server = new FakeCobaltServer();
    const client = createCobaltClient({ baseUrl: 'http://cobalt.test', transport: server.transport() });
    await client.start();
    const { refreshToken, ...partial } = session(server);
    void refreshToken;
    const error = await client.adoptSession(partial as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CobaltError);
    expect((error as CobaltError).code).toBe('VALIDATION_FAILED');
    expect(client.user).toBeNull();
    await client.stop();
  });

  it('when the client keeps its refresh token in a cookie, then it refuses with UNSUPPORTED', async () => {
    const server = new FakeCobaltServer();
    const client = createCobaltClient({ baseUrl: 'http://cobalt.test', credentials: 'cookie', transport: server.transport() });
    await expect(client.adoptSession(session(server))).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('connection events', () => {
  it('when the connection drops and comes back, then lost names the reason and ready names the instance, once each', async () => {
    const server = new FakeCobaltServer({ instanceId: 'backend-7' });
    const storage = memoryStorage();
    await server.signIn(storage);
    const client = createCobaltClient({ baseUrl: 'http://cobalt.test', storage, transport: server.transport(), random: () => 0.5 });
    const seen: string[] = [];
    client.connection.events.on('ready', ({ instanceId }) => seen.push(`ready ${instanceId}`));
    client.connection.events.on('lost', ({ reason }) => seen.push(`lost ${reason}`));
    client.connection.events.on('failed', ({ code, message }) => seen.push(`failed ${code ?? message}`));
    await client.start();
    await settle();
    server.setReachable(false);
    await settle();
    server.setReachable(true);
    await settle();
    expect(seen).toEqual(['ready backend-7', 'lost transport close', 'ready backend-7']);
    await client.stop();
  });

  it('when the server closes the socket on purpose and the refresh fails, then the client connects again by its own timer, within its reconnect bounds', async () => {
    const server = new FakeCobaltServer();
    const device = await startDevice(server, { options: { reconnect: { minMs: 20, maxMs: 40 } } });
    const ready: string[] = [];
    device.client.connection.events.on('ready', ({ instanceId }) => ready.push(instanceId));
    // No HTTP in these tests: the refresh asked for after a goodbye fails, so only the retry timer brings the socket back.
    server.connections[0]!.drop('io server disconnect');
    await new Promise((resolve) => setTimeout(resolve, 120));
    await settle();
    expect(ready).toEqual(['fake-1']);
    expect(device.client.status.state).toBe('connected');
    await device.client.stop();
  });
});

describe('backoffDelay', () => {
  it('keeps half of each doubling step fixed, and never passes the ceiling', () => {
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000, random: () => 0 })).toBe(50);
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000, random: () => 1 })).toBe(100);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 1000, random: () => 0.5 })).toBe(600);
    expect(backoffDelay(20, { baseMs: 100, maxMs: 1000, random: () => 1 })).toBe(1000);
  });
});

describe('request errors', () => {
  const answering =
    (status: number, body: unknown, headers: Record<string, string> = {}) =>
    () =>
      Promise.resolve(new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers }));

  async function signedIn(fetch: () => Promise<Response>) {
    const server = new FakeCobaltServer();
    const storage = memoryStorage();
    await server.signIn(storage);
    const client = createCobaltClient({ baseUrl: 'http://cobalt.test', storage, transport: server.transport(), fetch });
    await client.start();
    return client;
  }

  it('when GraphQL answers with an error status, then the code in its errors[0].extensions is the error code, with the status and Retry-After', async () => {
    const client = await signedIn(answering(429, { errors: [{ message: 'Too many requests', extensions: { code: 'RATE_LIMITED' } }] }, { 'retry-after': '2' }));
    const error = (await client.request('/graphql', { method: 'POST', body: { query: '{ me { id } }' } }).catch((e: unknown) => e)) as CobaltError;
    expect([error.code, error.status, error.options.retryAfterSeconds]).toEqual(['RATE_LIMITED', 429, 2]);
    expect(isRetryable(error)).toBe(true);
    await client.stop();
  });

  it('when the proxy answers 502 in plain text, then it is UNAVAILABLE and retryable; a refusal of the input is not', async () => {
    const client = await signedIn(answering(502, 'Bad Gateway'));
    const error = (await client.request('/api/todos').catch((e: unknown) => e)) as CobaltError;
    expect([error.code, error.status, isRetryable(error)]).toEqual(['UNAVAILABLE', 502, true]);
    expect(isRetryable(new CobaltError('VALIDATION_FAILED', 'bad'))).toBe(false);
    expect(isRetryable(new CobaltError('CONFLICT', 'key reused'))).toBe(false);
    expect(isRetryable(new CobaltError('CONFLICT', 'still running', { details: { reason: 'in_progress' } }))).toBe(true);
    await client.stop();
  });
});

describe('the list as an observable', () => {
  it('when nobody listens, then reading it still shows every change; a listener then hears each change, and an unchanged list is the same object', async () => {
    const server = new FakeCobaltServer();
    const { client } = await startDevice(server);
    server.write('todo:create', { title: 'unwatched' });
    await settle();
    expect(client.todos.list().map((t) => t.title)).toEqual(['unwatched']);
    expect(client.todos.state.get()).toBe(client.todos.state.get());
    const heard: string[][] = [];
    const off = client.todos.subscribe((state) => heard.push(state.items.map((t) => t.title)));
    server.write('todo:create', { title: 'watched' });
    await settle();
    off();
    server.write('todo:create', { title: 'after' });
    await settle();
    expect(heard.at(-1)).toEqual(['unwatched', 'watched']);
    expect(client.todos.list().map((t) => t.title)).toEqual(['unwatched', 'watched', 'after']);
    await client.stop();
  });
});
