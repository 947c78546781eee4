import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../../backend/test/support/http.js';
import { connectLive, expectLiveRefused, type LiveClient, type RecordingSubscription } from '../../backend/test/support/graphql-ws.js';
import { connectSocket, sleep } from '../../backend/test/support/sockets.js';
import { cluster } from './cluster-env.js';

const CHANGES =
  'subscription ($since: Int) { todoChanges(since: $since) { type seq id clientMutationId todo { id title completed version owner { id } } todos { id title version } } }';
const open: LiveClient[] = [];

/** Opens graphql-ws connections through Caddy until one sits on each of the three instances. */
async function liveOnEveryInstance(token: string): Promise<Map<string, LiveClient>> {
  const byInstance = new Map<string, LiveClient>();
  for (let attempt = 0; attempt < 40 && byInstance.size < 3; attempt++) {
    const live = await connectLive(cluster.publicUrl, { token });
    if (byInstance.has(live.instance)) await live.dispose();
    else {
      byInstance.set(live.instance, live);
      open.push(live);
    }
  }
  if (byInstance.size < 3) throw new Error(`connections reached only ${[...byInstance.keys()].join(', ')}`);
  return byInstance;
}

const changesOf = (sub: RecordingSubscription) => sub.events.map((e) => e.data?.todoChanges).filter(Boolean);
const seqsOf = (sub: RecordingSubscription) => changesOf(sub).map((c: { seq: number }) => c.seq);

/** Status line of a WebSocket handshake through Caddy from a browser on another site. */
function handshakeStatus(path: string, origin: string): Promise<number> {
  const url = new URL(path, cluster.publicUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, {
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
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 101);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GraphQL subscriptions across three instances behind Caddy', () => {
  let api: ApiClient;
  let alice: TestUser;
  let bob: TestUser;
  let aliceSubs: Map<string, RecordingSubscription>;
  let bobSubs: Map<string, RecordingSubscription>;

  beforeAll(async () => {
    api = apiClient(cluster.publicUrl);
    [alice, bob] = await Promise.all([registerUser(api, 'gws-alice'), registerUser(api, 'gws-bob')]);
    const [aliceLive, bobLive] = await Promise.all([liveOnEveryInstance(alice.accessToken), liveOnEveryInstance(bob.accessToken)]);
    aliceSubs = new Map([...aliceLive].map(([instance, live]) => [instance, live.subscribe(CHANGES)]));
    bobSubs = new Map([...bobLive].map(([instance, live]) => [instance, live.subscribe(CHANGES)]));
    await sleep(300); // each subscription is running
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((live) => live.dispose()));
  });

  it('when changes are made through REST, GraphQL and Socket.IO on different instances, then every subscriber of the user on every instance gets each once and the other user none', async () => {
    const rest = apiClient(cluster.backendUrls[0]!);
    const created = await rest.request('POST', '/api/todos', {
      body: { title: 'made over REST on backend 1' },
      token: alice.accessToken,
      headers: { 'Idempotency-Key': `gws-${Date.now()}` },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const graphql = apiClient(cluster.backendUrls[1]!);
    const updated = await graphql.graphql(`mutation { updateTodo(id: "${id}", completed: true) { version } }`, {}, alice.accessToken);
    expect(updated.body.data.updateTodo.version).toBe(2);
    const socket = await connectSocket(cluster.publicUrl, alice.accessToken, { transports: ['websocket'] });
    const removed = await socket.emitWithAck('todo:delete', { id });
    socket.close();
    expect(removed).toEqual({ data: { id } });

    for (const sub of aliceSubs.values()) await sub.waitFor((e) => e.data?.todoChanges?.type === 'DELETED');
    await sleep(300); // room for a repeat to show up
    for (const [instance, sub] of aliceSubs) {
      const changes = changesOf(sub);
      expect(
        changes.map((c: { type: string }) => c.type),
        instance,
      ).toEqual(['CREATED', 'UPDATED', 'DELETED']);
      expect(new Set(seqsOf(sub)).size, instance).toBe(3);
      expect(changes[0]).toMatchObject({
        id,
        clientMutationId: expect.stringMatching(/^gws-/),
        todo: { id, title: 'made over REST on backend 1', version: 1, owner: { id: alice.id } },
      });
      expect(changes[1]).toMatchObject({ id, todo: { completed: true, version: 2 }, clientMutationId: null });
      expect(changes[2]).toMatchObject({ id, todo: null, todos: null });
      expect(sub.errors).toEqual([]);
    }
    for (const [instance, sub] of bobSubs) expect(sub.events, instance).toEqual([]);
  });

  it('when a subscriber comes back with since after missing changes, then it gets what it missed once, then the live changes, with no repeat', async () => {
    const first = [...aliceSubs.values()][0]!;
    const lastSeq = Math.max(...seqsOf(first));
    const a = await api.post('/api/todos', { title: 'missed a' }, alice.accessToken);
    await api.patch(`/api/todos/${a.body.id}`, { title: 'missed a, renamed' }, alice.accessToken);
    const b = await api.post('/api/todos', { title: 'missed b' }, alice.accessToken);

    const live = await connectLive(cluster.publicUrl, { authorization: `Bearer ${alice.accessToken}` });
    open.push(live);
    const sub = live.subscribe(CHANGES, { since: lastSeq });
    await sub.waitFor((e) => e.data?.todoChanges?.id === b.body.id);
    // One event per changed todo, at the seq of its latest change, in its current state.
    expect(changesOf(sub)).toEqual([
      expect.objectContaining({ type: 'CREATED', seq: lastSeq + 2, id: a.body.id, todo: expect.objectContaining({ title: 'missed a, renamed', version: 2 }) }),
      expect.objectContaining({ type: 'CREATED', seq: lastSeq + 3, id: b.body.id }),
    ]);
    await api.patch(`/api/todos/${b.body.id}`, { completed: true }, alice.accessToken);
    await sub.waitFor((e) => e.data?.todoChanges?.type === 'UPDATED');
    await sleep(300);
    expect(seqsOf(sub)).toEqual([lastSeq + 2, lastSeq + 3, lastSeq + 4]);
  });

  it('when changes land while a subscriber catches up, then nothing falls between the catch-up and the live changes and nothing comes twice', async () => {
    const carol = await registerUser(api, 'gws-carol');
    const writes = Array.from({ length: 20 }, (_, i) => api.post('/api/todos', { title: `race ${i}` }, carol.accessToken));
    const live = await connectLive(cluster.publicUrl, { token: carol.accessToken });
    open.push(live);
    const sub = live.subscribe(CHANGES, { since: 0 });
    await Promise.all(writes);
    await sub.waitFor((e) => e.data?.todoChanges?.seq === 20);
    await sleep(300);
    expect(seqsOf(sub)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('when since is ahead of the log, then the subscriber gets one RESET with the full state, then live changes', async () => {
    const todos = (await api.get('/api/todos', alice.accessToken)).body.items as { id: string }[];
    const live = await connectLive(cluster.publicUrl, { token: alice.accessToken });
    open.push(live);
    const sub = live.subscribe(CHANGES, { since: 1_000_000 });
    const reset = (await sub.waitFor((e) => e.data?.todoChanges?.type === 'RESET')).data.todoChanges;
    expect(reset.todos.map((t: { id: string }) => t.id)).toEqual(todos.map((t) => t.id));
    expect(reset).toMatchObject({ id: null, todo: null });
    const next = await api.post('/api/todos', { title: 'after the reset' }, alice.accessToken);
    await sub.waitFor((e) => e.data?.todoChanges?.id === next.body.id);
    expect(changesOf(sub).map((c: { seq: number }) => c.seq)).toEqual([reset.seq, reset.seq + 1]);
  });

  it('when since is too old (more changes behind than one catch-up replays), then the subscriber gets a RESET instead of the changes', async () => {
    const dave = await registerUser(api, 'gws-dave');
    // SYNC_MAX_CHANGES is 1000: 1001 changes after since 0 are too many to replay.
    for (let i = 0; i < 1001; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, 1001 - i) }, (_, j) => api.post('/api/todos', { title: `old ${i + j}` }, dave.accessToken)));
    }
    const live = await connectLive(cluster.publicUrl, { token: dave.accessToken });
    open.push(live);
    const sub = live.subscribe(CHANGES, { since: 0 });
    const reset = (await sub.waitFor((e) => e.data?.todoChanges?.type === 'RESET', 15_000)).data.todoChanges;
    expect(reset.seq).toBe(1001);
    expect(reset.todos).toHaveLength(1001);
    expect(changesOf(sub)).toHaveLength(1);
  }, 60_000);

  it("when a session is revoked, then its subscription sockets on every instance close within a second, the user's other sessions hear it and keep theirs", async () => {
    const watcher = [...(await liveOnEveryInstance(alice.accessToken)).values()][0]!;
    const events = watcher.subscribe('subscription { sessionEvents { type sessionId session { id device current } } }');
    await sleep(200);
    const signIn = await api.post('/api/auth/login', { email: alice.email, password: 'correct horse battery', device: 'Doomed phone' });
    expect(signIn.status).toBe(200);
    const created = await events.waitFor((e) => e.data?.sessionEvents?.type === 'CREATED');
    expect(created.data.sessionEvents).toEqual({
      type: 'CREATED',
      sessionId: signIn.body.sessionId,
      session: { id: signIn.body.sessionId, device: 'Doomed phone', current: false },
    });

    const doomed = await liveOnEveryInstance(signIn.body.accessToken);
    for (const live of doomed.values()) live.subscribe(CHANGES);
    await sleep(200);
    const started = Date.now();
    expect((await api.del(`/api/sessions/${signIn.body.sessionId}`, alice.accessToken)).status).toBe(204);
    const closes = await Promise.all([...doomed.values()].map((live) => live.closed.then((close) => ({ ...close, after: Date.now() - started }))));
    for (const close of closes) {
      expect(close.code).toBe(4401);
      expect(close.after).toBeLessThan(1000);
    }
    expect((await events.waitFor((e) => e.data?.sessionEvents?.type === 'REVOKED')).data.sessionEvents).toEqual({
      type: 'REVOKED',
      sessionId: signIn.body.sessionId,
      session: null,
    });
    expect(watcher.socket.readyState).toBe(watcher.socket.OPEN);
    // The revoked token cannot open a connection again.
    expect((await expectLiveRefused(cluster.publicUrl, { token: signIn.body.accessToken })).code).toBe(4403);
  });

  it('when connection_init carries no token or a bad one, then the socket closes with 4403 and nothing runs', async () => {
    expect(await expectLiveRefused(cluster.publicUrl, {})).toEqual({ code: 4403, reason: 'Missing access token' });
    expect(await expectLiveRefused(cluster.publicUrl, { token: 'not-a-token' })).toEqual({ code: 4403, reason: 'Invalid access token' });
    expect(await expectLiveRefused(cluster.publicUrl, { authorization: 'Basic abc' })).toEqual({ code: 4403, reason: 'Missing access token' });
  });

  it('when a WebSocket handshake comes from a foreign Origin, then it is refused with 403 on /graphql and /socket.io/, as polling is', async () => {
    expect(await handshakeStatus('/graphql', 'https://evil.example')).toBe(403);
    expect(await handshakeStatus('/socket.io/?EIO=4&transport=websocket', 'https://evil.example')).toBe(403);
    expect(await handshakeStatus('/graphql', cluster.publicUrl.replace('127.0.0.1', 'localhost'))).toBe(101);
  });

  it('when a change is announced, then the metrics of the instance count the subscriptions and the events sent', async () => {
    const text = await (await fetch(`${cluster.backendUrls[0]}/metrics`)).text();
    expect(text).toMatch(/cobalt_graphql_subscriptions_active\{[^}]*root_field="todoChanges"[^}]*\} [1-9]/);
    expect(text).toMatch(/cobalt_graphql_subscription_events_total\{[^}]*root_field="todoChanges"[^}]*\} [1-9]/);
    expect(text).toMatch(/cobalt_graphql_ws_connections\{[^}]*\} [1-9]/);
  });
});
