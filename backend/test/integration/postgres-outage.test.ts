import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../support/env.js';
import { apiClient, registerUser, waitForReady, type ApiClient, type TestUser } from '../support/http.js';
import { TcpCut } from '../support/service-process.js';
import { connectSocket } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/**
 * Postgres (accounts and sessions) becomes unreachable under a running instance. Documented
 * behaviour (docs/RELIABILITY.md): todos keep working for signed-in users, account operations
 * answer 503 fast, readiness is 503, and everything recovers by itself.
 */
describe('when Postgres becomes unreachable and comes back', () => {
  let link: TcpCut;
  let server: RunningServer;
  let api: ApiClient;
  let user: TestUser;
  beforeAll(async () => {
    link = await TcpCut.to(services.databaseUrl);
    server = await startTestServer({ DATABASE_URL: link.rewrite(services.databaseUrl), INSTANCE_ID: 'pg-out' });
    api = apiClient(server.url);
    user = await registerUser(api, 'pg-out');
  });
  afterAll(async () => {
    await server?.stop();
    await link?.cut().catch(() => undefined);
  });

  it('then todos keep working, account operations fail fast with 503, and it recovers', { timeout: 60_000 }, async () => {
    const socket = await connectSocket(server.url, user.accessToken);
    await link.cut();

    const created = await api.post('/api/todos', { title: 'written while postgres is away' }, user.accessToken);
    expect(created.status).toBe(201);
    await socket.waitFor('todo:created', (p) => p.todo.id === created.body.id);
    expect((await api.get('/api/todos', user.accessToken)).status).toBe(200);

    const started = Date.now();
    const login = await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery' });
    expect(login.status).toBe(503);
    expect(login.body.error.code).toBe('UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await api.get('/api/sessions', user.accessToken)).status).toBe(503);
    const refresh = await api.post('/api/auth/refresh', { refreshToken: user.refreshToken });
    expect(refresh.status).toBe(503);
    expect(refresh.body.error.code).toBe('UNAVAILABLE');
    expect((await api.get('/health/ready')).body.checks).toMatchObject({ postgres: 'down', mongodb: 'up', redis: 'up' });
    // Still routed to: todos work, and the store outage is every instance's alike.
    expect((await api.get('/health/accepting')).status).toBe(200);
    expect((await api.get('/metrics')).body).toMatch(/cobalt_dependency_up\{[^}]*dependency="postgres"[^}]*\} 0/);
    // Sockets check their session against the revocation mirror, not Postgres: they still connect.
    const during = await connectSocket(server.url, user.accessToken);
    expect(await during.waitFor('hello')).toMatchObject({ userId: user.id });
    during.close();

    await link.restore();
    expect(await waitForReady(api)).toBe(200);
    expect((await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery' })).status).toBe(200);
    // The refresh that failed during the outage changed nothing: its token still rotates.
    expect((await api.post('/api/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(200);
    expect((await api.get('/api/todos', user.accessToken)).body.items.map((t: { id: string }) => t.id)).toContain(created.body.id);
    socket.close();
  });
});
