import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient } from '../support/http.js';
import { connectSocket, expectConnectRefused, sleep, type RecordingSocket } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** Two real instances sharing the real Redis: the adapter must carry events between them. */
describe('Socket.IO contract across two instances', () => {
  let a: RunningServer;
  let b: RunningServer;
  let api: ApiClient;
  const open: RecordingSocket[] = [];
  const connect = async (url: string, token: string, transports?: ('polling' | 'websocket')[]) => {
    const socket = await connectSocket(url, token, { transports });
    open.push(socket);
    return socket;
  };

  beforeAll(async () => {
    a = await startTestServer({ INSTANCE_ID: 'sock-a' });
    b = await startTestServer({ INSTANCE_ID: 'sock-b' });
    api = apiClient(a.url);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('when a socket connects, then it is greeted with its instance and user', async () => {
    const user = await registerUser(api, 'hello');
    const socket = await connect(b.url, user.accessToken);
    expect(socket.instanceId).toBe('sock-b');
    expect(socket.events[0]).toEqual({ event: 'hello', payload: { instanceId: 'sock-b', userId: user.id, protocol: 1 } });
  });

  it('when a socket creates, updates and deletes, then the ack carries the data and every socket of the user hears it once', async () => {
    const alice = await registerUser(api, 's-alice');
    const bob = await registerUser(api, 's-bob');
    const [writer, peer, bobSocket] = await Promise.all([connect(a.url, alice.accessToken), connect(b.url, alice.accessToken, ['websocket']), connect(b.url, bob.accessToken)]);

    const created = await writer.emitWithAck('todo:create', { title: 'via socket' });
    expect(created).toEqual({ data: expect.objectContaining({ title: 'via socket', completed: false, version: 1 }) });
    const id = created.data.id;
    const updated = await writer.emitWithAck('todo:update', { id, completed: true });
    expect(updated.data).toMatchObject({ id, completed: true, version: 2 });
    const deleted = await writer.emitWithAck('todo:delete', { id });
    expect(deleted).toEqual({ data: { id } });

    await peer.waitFor('todo:deleted', (p) => p.id === id);
    await sleep(200);
    for (const socket of [writer, peer]) {
      const changes = socket.events.filter((e) => e.event.startsWith('todo:'));
      expect(changes.map((e) => e.event)).toEqual(['todo:created', 'todo:updated', 'todo:deleted']);
      const seqs = changes.map((e) => e.payload.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(3);
    }
    expect(bobSocket.events.filter((e) => e.event.startsWith('todo:'))).toEqual([]);
  });

  it('when a REST or GraphQL write happens on one instance, then sockets on the other hear it', async () => {
    const user = await registerUser(api, 's-cross');
    const listener = await connect(b.url, user.accessToken);
    const rest = await api.post('/api/todos', { title: 'rest write' }, user.accessToken);
    await listener.waitFor('todo:created', (p) => p.todo.id === rest.body.id);
    const gql = await api.graphql('mutation { createTodo(title: "graphql write") { id } }', {}, user.accessToken);
    const payload = await listener.waitFor('todo:created', (p) => p.todo.id === gql.body.data.createTodo.id);
    expect(payload.todo.title).toBe('graphql write');
  });

  it.each([
    ['todo:create', { title: '' }],
    ['todo:create', { title: { $gt: '' } }],
    ['todo:create', { title: 'x'.repeat(501) }],
    ['todo:create', 'just a string'],
    ['todo:create', { title: 'ok', extra: true }],
    ['todo:update', { id: 'bad', completed: true }],
    ['todo:update', { id: '0123456789abcdef01234567', completed: 'yes' }],
    ['todo:delete', { id: { $ne: null } }],
    ['sync', { since: -1 }],
    ['sync', { since: '0' }],
  ])('when %s gets %j, then the ack is a VALIDATION_FAILED error and nothing is broadcast', async (event, payload) => {
    const user = await registerUser(api, 's-bad');
    const [sender, peer] = await Promise.all([connect(a.url, user.accessToken), connect(b.url, user.accessToken)]);
    const ack = await sender.emitWithAck(event, payload);
    expect(ack.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.any(String) });
    expect(ack.data).toBeUndefined();
    await sleep(150);
    expect(peer.events.filter((e) => e.event.startsWith('todo:'))).toEqual([]);
    expect((await api.get('/api/todos', user.accessToken)).body.items).toEqual([]);
  });

  it("when a socket touches another user's todo, then the ack says NOT_FOUND and the owner sees no change", async () => {
    const owner = await registerUser(api, 's-owner');
    const intruder = await registerUser(api, 's-intruder');
    const todo = (await api.post('/api/todos', { title: 'mine' }, owner.accessToken)).body;
    const [ownerSocket, intruderSocket] = await Promise.all([connect(b.url, owner.accessToken), connect(a.url, intruder.accessToken)]);
    expect((await intruderSocket.emitWithAck('todo:update', { id: todo.id, title: 'pwned' })).error.code).toBe('NOT_FOUND');
    expect((await intruderSocket.emitWithAck('todo:delete', { id: todo.id })).error.code).toBe('NOT_FOUND');
    await sleep(150);
    expect(ownerSocket.events.filter((e) => e.event.startsWith('todo:'))).toEqual([]);
    expect((await api.get(`/api/todos/${todo.id}`, owner.accessToken)).body).toEqual(todo);
  });

  it('when a socket reconnects with sync {since}, then it gets exactly what it missed', async () => {
    const user = await registerUser(api, 's-sync');
    const socket = await connect(a.url, user.accessToken);
    const kept = (await socket.emitWithAck('todo:create', { title: 'kept' })).data;
    const removed = (await socket.emitWithAck('todo:create', { title: 'removed' })).data;
    const lastSeq = (await socket.waitFor('todo:created', (p) => p.todo.id === removed.id)).seq;
    socket.close();

    await api.patch(`/api/todos/${kept.id}`, { completed: true }, user.accessToken);
    await api.del(`/api/todos/${removed.id}`, user.accessToken);
    const fresh = (await api.post('/api/todos', { title: 'fresh' }, user.accessToken)).body;

    const back = await connect(b.url, user.accessToken);
    const sync = await back.emitWithAck('sync', { since: lastSeq });
    expect(sync.data).toEqual({
      seq: lastSeq + 3,
      changes: [
        { type: 'todo:updated', todo: expect.objectContaining({ id: kept.id, completed: true, version: 2 }), seq: lastSeq + 1 },
        { type: 'todo:deleted', id: removed.id, seq: lastSeq + 2 },
        { type: 'todo:created', todo: expect.objectContaining({ id: fresh.id, title: 'fresh' }), seq: lastSeq + 3 },
      ],
    });
    expect((await back.emitWithAck('sync', { since: lastSeq + 3 })).data).toEqual({ seq: lastSeq + 3, changes: [] });
    const reset = await back.emitWithAck('sync', { since: lastSeq + 100 });
    expect(reset.data).toMatchObject({ reset: true, seq: lastSeq + 3 });
    expect(reset.data.todos.map((t: { id: string }) => t.id).sort()).toEqual([kept.id, fresh.id].sort());
  });

  it.each([
    ['no token', {}],
    ['an empty token', { token: '' }],
    ['a garbage token', { token: 'abc.def.ghi' }],
    ['a non-string token', { token: { $gt: '' } }],
  ])('when the handshake has %s, then connect_error says UNAUTHENTICATED', async (_label, auth) => {
    const error = await expectConnectRefused(a.url, auth);
    expect(error.data).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('when the handshake comes from a foreign Origin, then it is refused before authentication', async () => {
    const user = await registerUser(api, 's-origin');
    const error = await expectConnectRefused(a.url, { token: user.accessToken }, { origin: 'https://evil.example' });
    expect(error.message).toMatch(/websocket error|Origin/i);
  });

  it('when the handshake comes from a foreign Origin, then polling and both WebSocket endpoints answer 403, an allowed one is let through', async () => {
    const polling = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    expect(polling.status).toBe(403);
    expect(await polling.json()).toEqual({ code: 4, message: 'Origin not allowed' });
    expect(await upgradeStatus(a.url, '/socket.io/?EIO=4&transport=websocket', 'https://evil.example')).toEqual({ status: 403, body: { code: 4, message: 'Origin not allowed' } });
    expect(await upgradeStatus(a.url, '/graphql', 'https://evil.example')).toEqual({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'Origin not allowed' } } });
    expect((await upgradeStatus(a.url, '/graphql', 'http://localhost:8080')).status).toBe(101);
    // A page this server served itself (GraphiQL in development) is of its own origin.
    expect((await upgradeStatus(a.url, '/graphql', a.url)).status).toBe(101);
    expect((await upgradeStatus(a.url, '/socket.io/?EIO=4&transport=websocket', 'http://localhost:8080')).status).toBe(101);
    expect((await upgradeStatus(a.url, '/elsewhere', 'http://localhost:8080')).status).toBe(404);
  });

  it('when a client opens a session, then the handshake gives the heartbeat: 25 s and 20 s by default, SOCKET_PING_INTERVAL_MS and SOCKET_PING_TIMEOUT_MS when set', async () => {
    const heartbeat = async (url: string) => {
      const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
      expect(res.status).toBe(200);
      const open = JSON.parse((await res.text()).replace(/^0/, '')) as { pingInterval: number; pingTimeout: number };
      return { pingInterval: open.pingInterval, pingTimeout: open.pingTimeout };
    };
    expect(await heartbeat(a.url)).toEqual({ pingInterval: 25_000, pingTimeout: 20_000 });
    const slow = await startTestServer({ INSTANCE_ID: 'sock-heartbeat', SOCKET_PING_INTERVAL_MS: '50000', SOCKET_PING_TIMEOUT_MS: '15000' });
    try {
      expect(await heartbeat(slow.url)).toEqual({ pingInterval: 50_000, pingTimeout: 15_000 });
    } finally {
      await slow.stop();
    }
  });

  it('when a socket sends an event the server does not know with an ack, then the ack answers NOT_FOUND and nothing is broadcast', async () => {
    const user = await registerUser(api, 's-unknown');
    const [socket, other] = [await connect(a.url, user.accessToken), await connect(b.url, user.accessToken)];
    expect(await socket.emitWithAck('todo:explode', { id: 'x' })).toEqual({ error: { code: 'NOT_FOUND', message: 'Unknown event "todo:explode"' } });
    expect(await socket.emitWithAck('no-payload-at-all', undefined)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    await sleep(200);
    expect(other.events.filter((e) => e.event.startsWith('todo:'))).toEqual([]);
  });

  it('when a session is revoked, then its sockets on every instance are told and disconnected, and others stay', async () => {
    const user = await registerUser(api, 's-revoke');
    const phone = (await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery', device: 'Phone' })).body;
    const laptopSocket = await connect(a.url, user.accessToken);
    const phoneSocket = await connect(b.url, phone.accessToken);
    const created = await laptopSocket.waitFor('session:created', () => true).catch(() => null);
    expect(created).toBeNull(); // it logged in before this socket connected
    const disconnected = new Promise<{ reason: string; at: number }>((resolve) => phoneSocket.socket.on('disconnect', (reason) => resolve({ reason, at: Date.now() })));
    const revokedAt = Date.now();
    expect((await api.del(`/api/sessions/${phone.sessionId}`, user.accessToken)).status).toBe(204);
    const { reason, at } = await disconnected;
    expect(reason).toBe('io server disconnect');
    // The contract's bound for revocation reaching every instance (a functional limit, not a benchmark).
    expect(at - revokedAt).toBeLessThan(1000);
    expect(await laptopSocket.waitFor('session:revoked')).toEqual({ sessionId: phone.sessionId });
    expect(laptopSocket.socket.connected).toBe(true);
    const refused = await expectConnectRefused(b.url, { token: phone.accessToken });
    expect(refused.data.code).toBe('UNAUTHENTICATED');
  });

  it("when a user signs in on a new device, then the user's connected devices hear session:created", async () => {
    const user = await registerUser(api, 's-newdev');
    const laptop = await connect(b.url, user.accessToken);
    const tablet = (await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery', device: 'Tablet' })).body;
    const event = await laptop.waitFor('session:created');
    expect(event.session).toMatchObject({ id: tablet.sessionId, device: 'Tablet' });
  });

  it('when a message exceeds the size limit, then only that socket is closed', async () => {
    const user = await registerUser(api, 's-big');
    const [big, other] = await Promise.all([connect(a.url, user.accessToken, ['websocket']), connect(a.url, user.accessToken, ['websocket'])]);
    const closed = new Promise<string>((resolve) => big.socket.on('disconnect', (reason) => resolve(reason)));
    big.socket.emit('todo:create', { title: 'x'.repeat(100_000) }, () => undefined);
    expect(await closed).toMatch(/transport close|transport error/);
    expect((await other.emitWithAck('todo:create', { title: 'still fine' })).data.title).toBe('still fine');
  });
});

/** The answer to a WebSocket handshake: its status and, when refused, its JSON body. */
function upgradeStatus(baseUrl: string, path: string, origin: string): Promise<{ status: number; body?: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol': 'graphql-transport-ws',
        Origin: origin,
      },
    });
    req.on('response', (res) => {
      const read = async () => {
        let text = '';
        for await (const chunk of res) text += chunk;
        return text;
      };
      read().then((text) => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }), reject);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101 });
    });
    req.on('error', reject);
    req.end();
  });
}
