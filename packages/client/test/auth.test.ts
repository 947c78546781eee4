import { describe, expect, it } from 'vitest';
import { localCoordinator, memoryStorage, type FetchLike } from '../src/index.js';
import { fakeAccessToken } from '../src/testing/fake-server.js';
import { FakeCobaltServer, settle, startDevice } from './support.js';

/** The auth routes of a server that rotates refresh tokens and refuses a spent one, as the real one does. */
function fakeAuthServer(userId: string, sessionId = 'session-1') {
  let current = `refresh-${sessionId}`;
  const calls: { path: string; body: unknown }[] = [];
  let refuseAll = false;
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch: FetchLike = async (input, init) => {
    const path = new URL(input).pathname;
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ path, body });
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (path === '/api/auth/refresh') {
      if (refuseAll || body?.refreshToken !== current) return json(401, { error: { code: 'UNAUTHENTICATED', message: 'Invalid refresh token' } });
      current = `refresh-${Math.random().toString(36).slice(2)}`;
      return json(200, { accessToken: fakeAccessToken(userId, sessionId), refreshToken: current });
    }
    if (path === '/api/auth/logout') return new Response(null, { status: 204 });
    return json(404, { error: { code: 'NOT_FOUND', message: 'Not found' } });
  };
  return {
    fetch,
    calls,
    refreshes: () => calls.filter((c) => c.path === '/api/auth/refresh').length,
    refuse: () => (refuseAll = true),
  };
}

/** Stores a session whose access token has expired, as a device that slept leaves it. */
async function expiredSession(server: FakeCobaltServer, storage = memoryStorage()) {
  await server.signIn(storage);
  const session = (await storage.get<Record<string, unknown>>('session'))!;
  await storage.set('session', { ...session, accessToken: fakeAccessToken(server.userId, 'session-1', -60) });
  return storage;
}

describe('auth', () => {
  it('when two requests need a fresh token at once, then one refresh is made and its rotated token is kept', async () => {
    const server = new FakeCobaltServer();
    const auth = fakeAuthServer(server.userId);
    const storage = await expiredSession(server);
    server.setReachable(false); // no socket: only the two calls want a token
    const { client } = await startDevice(server, { storage, options: { fetch: auth.fetch } });

    const [a, b] = await Promise.all([client.accessToken(), client.accessToken()]);
    expect(a).toBe(b);
    expect(auth.refreshes()).toBe(1);
    expect((await storage.get<{ refreshToken: string }>('session'))!.refreshToken).not.toBe('refresh-session-1');
    await client.stop();
  });

  it('when two clients of one device (tabs, processes) refresh together, then the refresh token is spent once and both get a token', async () => {
    const server = new FakeCobaltServer();
    const auth = fakeAuthServer(server.userId);
    const storage = await expiredSession(server);
    const coordinator = localCoordinator();
    server.setReachable(false);
    const one = await startDevice(server, { storage, coordinator, options: { fetch: auth.fetch } });
    const two = await startDevice(server, { storage, coordinator, options: { fetch: auth.fetch } });

    const tokens = await Promise.all([one.client.accessToken(), two.client.accessToken()]);
    expect(auth.refreshes()).toBe(1);
    expect(tokens[0]).toBe(tokens[1]);
    expect(one.client.authState.get().status).toBe('signed-in');
    expect(two.client.authState.get().status).toBe('signed-in');
  });

  it('when a new access token is obtained while connected, then the live socket is told with auth:refresh', async () => {
    const server = new FakeCobaltServer();
    const auth = fakeAuthServer(server.userId);
    const storage = memoryStorage();
    await server.signIn(storage);
    const { client } = await startDevice(server, { storage, options: { fetch: auth.fetch } });
    await (client as unknown as { authCore: { refresh(): Promise<string> } }).authCore.refresh();
    await settle();
    expect(server.requests.filter((r) => r.event === 'auth:refresh')).toHaveLength(1);
  });

  it('when a change is refused as UNAUTHENTICATED, then the token is refreshed and the change sent again with the same id', async () => {
    const server = new FakeCobaltServer();
    const auth = fakeAuthServer(server.userId);
    let refusals = 1;
    server.refuseRequests((event) => (event === 'todo:create' && refusals-- > 0 ? { code: 'UNAUTHENTICATED', message: 'Access token expired' } : null));
    const { client, settled } = await startDevice(server, { options: { fetch: auth.fetch, outbox: { retryBaseMs: 1, retryMaxMs: 2 } } });
    await client.todos.create('After a refresh');
    await settle(20);

    const keys = server.requests.filter((r) => r.event === 'todo:create').map((r) => (r.payload as { clientMutationId: string }).clientMutationId);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(auth.refreshes()).toBe(1);
    expect(settled).toMatchObject([{ type: 'confirmed' }]);
  });

  it('when the server refuses the refresh, then the session ends as expired and the unsent changes stay kept for the next sign-in', async () => {
    const server = new FakeCobaltServer();
    const auth = fakeAuthServer(server.userId);
    const storage = await expiredSession(server);
    server.setReachable(false);
    const { client } = await startDevice(server, { storage, options: { fetch: auth.fetch } });
    await client.todos.create('Made before the session ended');
    const ended: string[] = [];
    client.on('session-ended', ({ reason }) => ended.push(reason));
    auth.refuse();

    await expect(client.accessToken()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await settle();
    expect(client.authState.get()).toEqual({ status: 'signed-out', reason: 'expired' });
    expect(ended).toEqual(['expired']);
    expect(await storage.get('session')).toBeUndefined();
    expect(await storage.list(`outbox:${server.userId}:`)).toHaveLength(1);
    await expect(client.todos.create('After')).rejects.toMatchObject({ code: 'NOT_SIGNED_IN' });
  });

  it('when the server announces that this session was revoked, then it ends and the user’s data on this device is forgotten', async () => {
    const server = new FakeCobaltServer();
    const storage = memoryStorage();
    const { client } = await startDevice(server, { storage });
    server.write('todo:create', { title: 'Seen here' });
    await settle();
    server.setReachable(false);
    await settle();
    await client.todos.create('Not sent');
    server.setReachable(true);
    server.filterAcks(() => false); // keep it pending
    server.filterEvents((event) => event.name !== 'todo:created');
    await settle();
    server.connections[0]!.deliver({ name: 'session:revoked', payload: { sessionId: 'session-1' } });
    await settle();

    expect(client.authState.get()).toEqual({ status: 'signed-out', reason: 'revoked' });
    expect(client.todos.list()).toEqual([]);
    expect(await storage.list('')).toEqual([]);
  });

  it('when another session of the user is revoked, then this one carries on', async () => {
    const server = new FakeCobaltServer();
    const { client } = await startDevice(server);
    server.connections[0]!.deliver({ name: 'session:revoked', payload: { sessionId: 'another-session' } });
    await settle();
    expect(client.authState.get().status).toBe('signed-in');
  });

  it('when the user signs out, then the server is told and the user’s data on this device is forgotten', async () => {
    const server = new FakeCobaltServer();
    const auth = fakeAuthServer(server.userId);
    const storage = memoryStorage();
    const { client } = await startDevice(server, { storage, options: { fetch: auth.fetch } });
    server.write('todo:create', { title: 'Kept until sign-out' });
    await settle();
    expect(await storage.get(`replica:${server.userId}`)).toBeDefined();

    expect(await client.signOut()).toBe(true);
    expect(auth.calls.map((c) => c.path)).toContain('/api/auth/logout');
    expect(client.authState.get()).toEqual({ status: 'signed-out', reason: 'signed-out' });
    expect(client.status.state).toBe('stopped');
    expect(await storage.list('')).toEqual([]);
  });
});
