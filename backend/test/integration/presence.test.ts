import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient } from '../support/http.js';
import { connectSocket, sleep, type RecordingSocket } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** Presence over two real instances sharing the real Redis: what one instance knows, the other must tell. */
describe('presence across instances', () => {
  let a: RunningServer;
  let b: RunningServer;
  let api: ApiClient;
  const open: RecordingSocket[] = [];
  const connect = async (url: string, token: string) => {
    const socket = await connectSocket(url, token, { transports: ['websocket'] });
    open.push(socket);
    return socket;
  };

  beforeAll(async () => {
    a = await startTestServer({ INSTANCE_ID: 'presence-a' });
    b = await startTestServer({ INSTANCE_ID: 'presence-b' });
    api = apiClient(a.url);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  async function secondSession(email: string) {
    const res = await api.post('/api/auth/login', { email, password: 'correct horse battery', device: 'Phone' });
    expect(res.status).toBe(200);
    return res.body as { accessToken: string; sessionId: string };
  }

  it('when a device watches presence, then it hears the user’s sessions online on every instance, and when one goes and comes', async () => {
    const user = await registerUser(api, 'presence');
    const phone = await secondSession(user.email);
    const watcher = await connect(b.url, user.accessToken);
    const laptop = await connect(a.url, phone.accessToken);

    const first = await watcher.emitWithAck('presence:watch', {});
    expect(first).toEqual({ data: { online: [user.sessionId, phone.sessionId].sort() } });

    laptop.close();
    await watcher.waitFor('presence:changed', (p) => p.sessionId === phone.sessionId);
    expect(await watcher.emitWithAck('presence:watch', {})).toEqual({ data: { online: [user.sessionId] } });

    const before = watcher.events.filter((e) => e.event === 'presence:changed').length;
    await connect(a.url, phone.accessToken);
    await watcher.waitFor('presence:changed', () => watcher.events.filter((e) => e.event === 'presence:changed').length > before);
    expect(await watcher.emitWithAck('presence:watch', {})).toEqual({ data: { online: [user.sessionId, phone.sessionId].sort() } });
  });

  it('when a socket does not watch, then it hears no presence news, and another user’s devices never show', async () => {
    const alice = await registerUser(api, 'presence-alice');
    const bob = await registerUser(api, 'presence-bob');
    const quiet = await connect(a.url, alice.accessToken);
    const watcher = await connect(b.url, alice.accessToken);
    await watcher.emitWithAck('presence:watch', {});
    const bobSocket = await connect(a.url, bob.accessToken);
    bobSocket.close();
    const aliceSecond = await connect(b.url, alice.accessToken);
    await watcher.waitFor('presence:changed');
    await sleep(200);

    expect(quiet.events.filter((e) => e.event === 'presence:changed')).toEqual([]);
    expect(watcher.events.filter((e) => e.event === 'presence:changed').every((e) => e.payload.sessionId === alice.sessionId)).toBe(true);
    expect(await watcher.emitWithAck('presence:watch', {})).toEqual({ data: { online: [alice.sessionId] } });
    aliceSecond.close();
  });
});
