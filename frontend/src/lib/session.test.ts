import { createCobaltClient, memoryStorage, type FetchLike } from '@cobalt/client';
import { FakeCobaltServer } from '@cobalt/client/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeAccessToken } from '../testing/tokens';
import { SESSION_NOTICES, WebSession } from './session';

const ada = { id: 'user-1', email: 'ada@example.com', name: 'Ada' };
const json = (status: number, body?: unknown) => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A fetch that answers by path and records every request. */
function server(routes: Record<string, (init: RequestInit) => Response | Promise<Response>>) {
  const requests: { path: string; init: RequestInit }[] = [];
  const fetcher: FetchLike = vi.fn(async (input: string, init: RequestInit) => {
    requests.push({ path: input, init });
    const route = routes[input];
    if (!route) return json(404, { error: { code: 'NOT_FOUND', message: 'No route' } });
    return route(init);
  });
  return { fetcher, requests, count: (path: string) => requests.filter((r) => r.path === path).length };
}

const sessions: WebSession[] = [];
const stops: (() => Promise<void>)[] = [];
function webSession(fetcher: FetchLike, storage = memoryStorage(), fake = new FakeCobaltServer()) {
  const client = createCobaltClient({ baseUrl: '', credentials: 'cookie', storage, fetch: fetcher, transport: fake.transport() });
  stops.push(() => client.stop());
  const session = new WebSession(client);
  sessions.push(session);
  return { session, client, fake, storage };
}

beforeEach(() => localStorage.clear());
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  sessions.length = 0;
});

describe('WebSession', () => {
  it('when this browser never signed in, then page load asks the server nothing and shows sign-in', async () => {
    const srv = server({});
    const { session } = webSession(srv.fetcher);
    expect(session.state.getSnapshot()).toEqual({ status: 'restoring' });
    await session.start();
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: null });
    expect(srv.requests).toHaveLength(0);
  });

  it('when a session is kept in this browser, then the page opens signed in without asking the server, offline too', async () => {
    const srv = server({}); // every request would fail
    const storage = memoryStorage();
    await storage.set('session', { user: ada, sessionId: 'session-1' });
    const { session } = webSession(() => Promise.reject(new TypeError('Failed to fetch')), storage);
    await session.start();
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-in', user: ada, sessionId: 'session-1' });
    expect(srv.requests).toHaveLength(0);
  });

  it('when the browser signed in before its session was kept, then the refresh cookie is traded for it once', async () => {
    localStorage.setItem('cobalt:has-session', '1');
    const token = fakeAccessToken({ sub: ada.id, sid: 'session-1' });
    const srv = server({ '/api/auth/refresh': () => json(200, { accessToken: token }), '/api/me': () => json(200, ada) });
    const { session, storage } = webSession(srv.fetcher);

    await session.start();

    expect(session.state.getSnapshot()).toEqual({ status: 'signed-in', user: ada, sessionId: 'session-1' });
    const refresh = srv.requests.find((r) => r.path === '/api/auth/refresh');
    expect(new Headers(refresh?.init.headers).get('x-cobalt-client')).toBe('web');
    expect(refresh?.init.body).toBeUndefined();
    expect(refresh?.init.credentials).toBe('include');
    expect(new Headers(srv.requests.find((r) => r.path === '/api/me')?.init.headers).get('authorization')).toBe(`Bearer ${token}`);
    expect(await storage.get('session')).toEqual({ user: ada, sessionId: 'session-1' });
  });

  it('when the refresh cookie is gone, then the page shows sign-in without any notice and stops asking', async () => {
    localStorage.setItem('cobalt:has-session', '1');
    const srv = server({ '/api/auth/refresh': () => json(401, { error: { code: 'UNAUTHENTICATED', message: 'Invalid refresh token' } }) });
    const { session } = webSession(srv.fetcher);
    await session.start();
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: null });
    expect(srv.count('/api/auth/refresh')).toBe(1);
    expect(localStorage.getItem('cobalt:has-session')).toBeNull();
  });

  it('when the server cannot be reached to trade the cookie, then the page says so', async () => {
    localStorage.setItem('cobalt:has-session', '1');
    const { session } = webSession(() => Promise.reject(new TypeError('Failed to fetch')));
    await session.start();
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: SESSION_NOTICES.unreachable });
  });

  it('when this session is revoked from another device, then it ends with that notice', async () => {
    const storage = memoryStorage();
    const fake = new FakeCobaltServer({ userId: ada.id });
    await fake.signIn(storage, 'session-1');
    const { session } = webSession(server({}).fetcher, storage, fake);
    await session.start();
    await vi.waitFor(() => expect(fake.connections[0]?.connected).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 0));

    fake.connections[0]!.deliver({ name: 'session:revoked', payload: { sessionId: 'session-1' } });

    await vi.waitFor(() => expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: SESSION_NOTICES.revoked }));
    expect(await storage.list('')).toEqual([]);
  });

  it('when the server refuses to refresh, then the session ends with the "ended" notice', async () => {
    const storage = memoryStorage();
    await storage.set('session', { user: ada, sessionId: 'session-1' });
    const srv = server({ '/api/auth/refresh': () => json(401, { error: { code: 'UNAUTHENTICATED', message: 'Invalid refresh token' } }) });
    const { session, client } = webSession(srv.fetcher, storage);
    await session.start();
    await expect(client.accessToken()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await vi.waitFor(() => expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: SESSION_NOTICES.expired }));
  });

  it('when the user signs in, then the session begins and this browser remembers it has one', async () => {
    const token = fakeAccessToken({ sub: ada.id, sid: 'session-2' });
    const srv = server({ '/api/auth/login': () => json(200, { user: ada, accessToken: token, sessionId: 'session-2' }) });
    const { session } = webSession(srv.fetcher);
    await session.start();
    await session.signIn({ email: ada.email, password: 'correct horse battery' });
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-in', user: ada, sessionId: 'session-2' });
    expect(localStorage.getItem('cobalt:has-session')).toBe('1');
  });
});
