import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeAccessToken } from '../testing/tokens';
import { SESSION_NOTICES, SessionManager } from './session';

const ada = { id: 'user-1', email: 'ada@example.com', name: 'Ada' };

type Route = (init: RequestInit) => Response | Promise<Response>;
const json = (status: number, body?: unknown) => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A fetch that answers by path and records every request. */
function server(routes: Record<string, Route>) {
  const requests: { path: string; init: RequestInit }[] = [];
  const fetcher = vi.fn(async (input: string, init: RequestInit) => {
    requests.push({ path: input, init });
    const route = routes[input];
    if (!route) return json(404, { error: { code: 'NOT_FOUND', message: 'No route' } });
    return route(init);
  });
  return { fetcher, requests, count: (path: string) => requests.filter((r) => r.path === path).length };
}

const managers: SessionManager[] = [];
const manager = (fetcher: ReturnType<typeof server>['fetcher']) => {
  const m = new SessionManager({ fetcher, leewayMs: 60_000 });
  managers.push(m);
  return m;
};
afterEach(() => {
  for (const m of managers.splice(0)) m.end(null);
});

describe('SessionManager', () => {
  it('when this browser never signed in, then page load asks the server nothing and shows sign-in', async () => {
    const srv = server({});
    const session = manager(srv.fetcher);
    await session.restore();
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: null });
    expect(srv.requests).toHaveLength(0);
  });

  it('when the refresh cookie is valid on page load, then the session is restored with the user and session id', async () => {
    localStorage.setItem('cobalt:has-session', '1');
    const token = fakeAccessToken({ sid: 'session-1' });
    const srv = server({ '/api/auth/refresh': () => json(200, { accessToken: token }), '/api/me': () => json(200, ada) });
    const session = manager(srv.fetcher);

    await session.restore();

    expect(session.state.getSnapshot()).toEqual({ status: 'signed-in', user: ada, sessionId: 'session-1' });
    const refresh = srv.requests.find((r) => r.path === '/api/auth/refresh');
    expect(new Headers(refresh?.init.headers).get('x-cobalt-client')).toBe('web');
    expect(refresh?.init.body).toBeUndefined();
    expect(refresh?.init.credentials).toBe('include');
    expect(new Headers(srv.requests.find((r) => r.path === '/api/me')?.init.headers).get('authorization')).toBe(`Bearer ${token}`);
  });

  it('when the refresh cookie is gone, then the page shows sign-in without any notice', async () => {
    localStorage.setItem('cobalt:has-session', '1');
    const srv = server({ '/api/auth/refresh': () => json(400, { error: { code: 'VALIDATION_FAILED', message: 'Request validation failed' } }) });
    const session = manager(srv.fetcher);
    await session.restore();
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: null });
    expect(srv.count('/api/auth/refresh')).toBe(1);
    expect(localStorage.getItem('cobalt:has-session')).toBeNull();
  });

  it('when a request gets 401, then the token is refreshed once and the request retried with the new one', async () => {
    const first = fakeAccessToken({ sid: 'session-1', iat: 1000 });
    const second = fakeAccessToken({ sid: 'session-1', iat: 2000 });
    const srv = server({
      '/api/auth/refresh': () => json(200, { accessToken: second }),
      '/api/todos': (init) => (new Headers(init.headers).get('authorization') === `Bearer ${second}` ? json(200, { items: [] }) : json(401, { error: { code: 'UNAUTHENTICATED', message: 'Access token expired' } })),
    });
    const session = manager(srv.fetcher);
    session.begin({ user: ada, accessToken: first, sessionId: 'session-1' });

    const responses = await Promise.all([session.authorizedFetch('/api/todos', {}), session.authorizedFetch('/api/todos', {})]);

    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(srv.count('/api/auth/refresh')).toBe(1); // two 401s, one refresh: a refresh token is never spent twice
  });

  it('when the refresh is refused, then the session ends with a notice', async () => {
    const srv = server({
      '/api/auth/refresh': () => json(401, { error: { code: 'UNAUTHENTICATED', message: 'Invalid refresh token' } }),
      '/api/todos': () => json(401, { error: { code: 'UNAUTHENTICATED', message: 'Session has been revoked' } }),
    });
    const session = manager(srv.fetcher);
    session.begin({ user: ada, accessToken: fakeAccessToken({ sid: 'session-1' }), sessionId: 'session-1' });

    await expect(session.authorizedFetch('/api/todos', {})).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: SESSION_NOTICES.expired });
  });

  it('when the token is about to expire, then it is refreshed before the request is sent', async () => {
    const nearlyExpired = fakeAccessToken({ sid: 'session-1', iat: 0, exp: 1 }); // lifetime 1 s
    const fresh = fakeAccessToken({ sid: 'session-1' });
    const srv = server({ '/api/auth/refresh': () => json(200, { accessToken: fresh }), '/api/me': () => json(200, ada) });
    const session = manager(srv.fetcher);
    session.begin({ user: ada, accessToken: nearlyExpired, sessionId: 'session-1' });

    await expect(session.accessToken()).resolves.toBe(fresh);
    expect(srv.count('/api/auth/refresh')).toBe(1);
  });

  it('when the network is down during a refresh, then the session is kept', async () => {
    const srv = server({
      '/api/auth/refresh': () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const session = manager(srv.fetcher);
    session.begin({ user: ada, accessToken: fakeAccessToken({ sid: 'session-1' }), sessionId: 'session-1' });
    await expect(session.refresh()).rejects.toMatchObject({ code: 'NETWORK' });
    expect(session.state.getSnapshot().status).toBe('signed-in');
  });

  it('when another tab signed in since and the cookie now belongs to a new session, then this tab follows it', async () => {
    const bob = { id: 'user-2', email: 'bob@example.com', name: 'Bob' };
    const srv = server({ '/api/auth/refresh': () => json(200, { accessToken: fakeAccessToken({ sub: bob.id, sid: 'session-2' }) }), '/api/me': () => json(200, bob) });
    const session = manager(srv.fetcher);
    session.begin({ user: ada, accessToken: fakeAccessToken({ sid: 'session-1' }), sessionId: 'session-1' });

    await session.refresh();

    expect(session.state.getSnapshot()).toEqual({ status: 'signed-in', user: bob, sessionId: 'session-2' });
  });

  it('when this device signs itself out and the revocation event beats the answer, then no "other device" notice is shown', async () => {
    const srv = server({});
    const session = manager(srv.fetcher);
    session.begin({ user: ada, accessToken: fakeAccessToken({ sid: 'session-1' }), sessionId: 'session-1' });

    await session.signOutWith(async () => {
      session.end(SESSION_NOTICES.revoked); // what the socket's session:revoked handler does
    });

    expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: null });
  });

  it('when signing out fails, then the session is kept and a later revocation still explains itself', async () => {
    const session = manager(server({}).fetcher);
    session.begin({ user: ada, accessToken: fakeAccessToken({ sid: 'session-1' }), sessionId: 'session-1' });

    await expect(session.signOutWith(() => Promise.reject(new TypeError('Failed to fetch')))).rejects.toThrow('Failed to fetch');
    expect(session.state.getSnapshot().status).toBe('signed-in');

    session.end(SESSION_NOTICES.revoked);
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-out', notice: SESSION_NOTICES.revoked });
  });
});
