import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient } from '../support/http.js';
import { connectSocket, sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

describe('sockets and access-token expiry', () => {
  let server: RunningServer;
  let api: ApiClient;
  beforeAll(async () => {
    server = await startTestServer({ ACCESS_TOKEN_TTL_SECONDS: '3', INSTANCE_ID: 'ttl-1' });
    api = apiClient(server.url);
  });
  afterAll(() => server?.stop());

  it('when a socket token expires without a refresh, then the socket is closed and cannot come back with that token', async () => {
    const user = await registerUser(api, 'ttl-expire');
    const socket = await connectSocket(server.url, user.accessToken, { transports: ['websocket'] });
    const reason = await new Promise<string>((resolve) => socket.socket.on('disconnect', (r) => resolve(r)));
    expect(reason).toBe('transport close');
    await expect(connectSocket(server.url, user.accessToken, { transports: ['websocket'] })).rejects.toMatchObject({
      data: { code: 'UNAUTHENTICATED', message: 'Access token expired' },
    });
  });

  it('when a socket re-authenticates with a fresh token of its session, then it stays connected and keeps receiving', async () => {
    const user = await registerUser(api, 'ttl-refresh');
    const socket = await connectSocket(server.url, user.accessToken, { transports: ['websocket'] });
    let closed = false;
    socket.socket.on('disconnect', () => {
      closed = true;
    });
    await sleep(1500);
    const fresh = (await api.post('/api/auth/refresh', { refreshToken: user.refreshToken })).body;
    const ack = await socket.emitWithAck('auth:refresh', { token: fresh.accessToken });
    expect(Date.parse(ack.data.expiresAt)).toBeGreaterThan(Date.now() + 1000);
    await sleep(2000); // past the first token's expiry
    expect(closed).toBe(false);
    const todo = (await api.post('/api/todos', { title: 'still live' }, fresh.accessToken)).body;
    await socket.waitFor('todo:created', (p) => p.todo.id === todo.id);
    socket.close();
  });

  it("when a socket offers another session's token, then it is refused and keeps its own expiry", async () => {
    const user = await registerUser(api, 'ttl-swap');
    const other = await registerUser(api, 'ttl-other');
    const socket = await connectSocket(server.url, user.accessToken, { transports: ['websocket'] });
    const ack = await socket.emitWithAck('auth:refresh', { token: other.accessToken });
    expect(ack.error.code).toBe('UNAUTHENTICATED');
    expect((await socket.emitWithAck('auth:refresh', { token: { $gt: '' } })).error.code).toBe('VALIDATION_FAILED');
    const reason = await new Promise<string>((resolve) => socket.socket.on('disconnect', (r) => resolve(r)));
    expect(reason).toBe('transport close');
  });
});
