import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLive, type LiveClient } from '../support/graphql-ws.js';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../support/http.js';
import { sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

const CHANGES = 'subscription ($since: Int) { todoChanges(since: $since) { type seq id } }';

describe('GraphQL subscriptions on one instance', () => {
  let server: RunningServer;
  let api: ApiClient;
  let user: TestUser;
  const open: LiveClient[] = [];
  const live = async (params: Record<string, unknown>) => {
    const client = await connectLive(server.url, params);
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer({ GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: '3', API_RATE_LIMIT_PER_MINUTE: '40' });
    api = apiClient(server.url);
    user = await registerUser(api, 'gws-limits');
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((c) => c.dispose()));
    await server?.stop();
  });

  it('when a user opens more subscriptions than allowed, then the one too many is refused RATE_LIMITED and a place frees when one ends', async () => {
    const [a, b] = [await live({ token: user.accessToken }), await live({ token: user.accessToken })];
    const subs = [a.subscribe(CHANGES), a.subscribe(CHANGES), b.subscribe('subscription { sessionEvents { type } }')];
    await sleep(300);
    const extra = b.subscribe(CHANGES);
    await sleep(300);
    expect(extra.errors).toHaveLength(1);
    expect((extra.errors[0] as { extensions: unknown }[])[0]).toMatchObject({ message: expect.stringMatching(/at most 3/), extensions: { code: 'RATE_LIMITED' } });
    for (const sub of subs) expect(sub.errors).toEqual([]);
    subs[0]!.unsubscribe();
    await sleep(200);
    const again = b.subscribe(CHANGES);
    await sleep(300);
    expect(again.errors).toEqual([]);
    again.unsubscribe();
    subs[1]!.unsubscribe();
    subs[2]!.unsubscribe();
  });

  it('when a subscription breaks a GraphQL limit or rule, then it is refused with the code HTTP would give and nothing runs', async () => {
    const client = await live({ token: user.accessToken });
    const tooManyTokens = `subscription { todoChanges { ${'seq '.repeat(2100)} } }`;
    const aliases = `subscription { todoChanges { ${Array.from({ length: 11 }, (_, i) => `a${i}: seq`).join(' ')} } }`;
    const todo = 'id title completed createdAt updatedAt version owner { id email name }';
    const tooCostly = `subscription { todoChanges { ${Array.from({ length: 10 }, (_, i) => `t${i}: todos { ${todo} }`).join(' ')} } }`;
    for (const query of [tooManyTokens, aliases, tooCostly, 'subscription { todoChanges(since: "x") { seq } }', 'subscription { nope }']) {
      const sub = client.subscribe(query);
      await sleep(150);
      expect(sub.events, query.slice(0, 60)).toEqual([]);
      expect((sub.errors[0] as { extensions: unknown }[])[0], query.slice(0, 60)).toMatchObject({ extensions: { code: 'VALIDATION_FAILED' } });
    }
    const costly = client.subscribe(tooCostly);
    await sleep(150);
    expect((costly.errors[0] as { message: string }[])[0]!.message).toMatch(/cost limit of 200/i);
    const negative = client.subscribe('subscription { todoChanges(since: -1) { seq } }');
    await sleep(200);
    expect(negative.events[0]?.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION_FAILED', details: [{ path: 'since', message: 'since must be 0 or more' }] } });
  });

  it('when a query and a mutation are sent on the socket, then they run as over HTTP and the subscription on it hears the change', async () => {
    const someone = await registerUser(api, 'gws-ops');
    const client = await live({ token: someone.accessToken });
    const changes = client.subscribe(CHANGES);
    await sleep(200);
    const created = client.subscribe('mutation { createTodo(title: "over the socket") { id title version } }');
    await created.waitFor((e) => e.data?.createTodo);
    const id = created.events[0].data.createTodo.id as string;
    expect(created.events[0].data.createTodo).toMatchObject({ title: 'over the socket', version: 1 });
    await changes.waitFor((e) => e.data?.todoChanges?.id === id);
    const me = client.subscribe('{ me { id } }');
    await me.waitFor((e) => e.data?.me);
    expect(me.events[0].data.me.id).toBe(someone.id);
    expect((await api.get(`/api/todos/${id}`, someone.accessToken)).body.title).toBe('over the socket');
  });

  it('when a subscription runs over HTTP, then it is refused: subscriptions need the WebSocket', async () => {
    const res = await api.graphql('subscription { sessionEvents { type } }', {}, user.accessToken);
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({
      message: 'Subscriptions run over a WebSocket at /graphql (graphql-transport-ws protocol)',
      extensions: { code: 'VALIDATION_FAILED' },
    });
  });

  it('when a user sends more operations than the per-user budget, then the next subscription is refused RATE_LIMITED', async () => {
    const other = await registerUser(api, 'gws-budget');
    const client = await live({ token: other.accessToken });
    // 40 per minute: the connection took one; REST and GraphQL share the same budget.
    for (let i = 0; i < 39; i++) await api.get('/api/me', other.accessToken);
    const sub = client.subscribe(CHANGES);
    await sleep(200);
    expect((sub.errors[0] as { extensions: unknown }[])[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) } });
    // connection_init counts too: over the budget, the socket closes with 4429.
    await expect(connectLive(server.url, { token: other.accessToken })).rejects.toMatchObject({ code: 4429 });
  });

  it('when a user holds subscriptions on two instances, then the bound counts them together', async () => {
    const second = await startTestServer({ GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: '3' });
    try {
      const someone = await registerUser(api, 'gws-two');
      const [here, there] = [await live({ token: someone.accessToken }), await connectLive(second.url, { token: someone.accessToken })];
      open.push(there);
      const subs = [here.subscribe(CHANGES), there.subscribe(CHANGES), there.subscribe(CHANGES)];
      await sleep(300);
      for (const sub of subs) expect(sub.errors).toEqual([]);
      const fourth = here.subscribe(CHANGES);
      await sleep(300);
      expect((fourth.errors[0] as { extensions: unknown }[])[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    } finally {
      await Promise.all(open.splice(0).map((c) => c.dispose()));
      await second.stop();
    }
  });
});

describe('GraphQL subscriptions and tokens', () => {
  let server: RunningServer;
  let api: ApiClient;
  let user: TestUser;
  beforeAll(async () => {
    server = await startTestServer({ ACCESS_TOKEN_TTL_SECONDS: '2' });
    api = apiClient(server.url);
    user = await registerUser(api, 'gws-expiry');
  });
  afterAll(() => server?.stop());

  const signIn = async () => (await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery' })).body as { accessToken: string; refreshToken: string };

  it('when the token of a connection expires, then the socket closes with 4403 unless a fresh token of its session came in a ping', async () => {
    const session = await signIn();
    const [stale, kept] = await Promise.all([connectLive(server.url, { token: session.accessToken }), connectLive(server.url, { token: session.accessToken })]);
    await sleep(1000); // a token issued a second later expires a second later
    const refreshed = await api.post('/api/auth/refresh', { refreshToken: session.refreshToken });
    expect(refreshed.status).toBe(200);
    kept.socket.send(JSON.stringify({ type: 'ping', payload: { token: refreshed.body.accessToken } }));
    const close = await stale.closed;
    expect(close).toEqual({ code: 4403, reason: 'Access token expired' });
    await sleep(500); // past the first token's expiry, before the second's
    expect(kept.socket.readyState).toBe(kept.socket.OPEN);
    await kept.dispose();
  });

  it("when a ping carries another session's token, then the connection is closed rather than handed over", async () => {
    const other = await registerUser(api, 'gws-other');
    const client = await connectLive(server.url, { token: (await signIn()).accessToken });
    client.socket.send(JSON.stringify({ type: 'ping', payload: { token: other.accessToken } }));
    expect((await client.closed).code).toBe(4403);
  });
});

describe('GraphQL subscriptions in production', () => {
  it('when introspection is asked over the WebSocket in production, then it is refused as over HTTP', async () => {
    const server = await startTestServer({ NODE_ENV: 'production' });
    try {
      const user = await registerUser(apiClient(server.url), 'gws-prod');
      const client = await connectLive(server.url, { token: user.accessToken });
      const query = client.subscribe('{ __schema { types { name } } }');
      await sleep(300);
      expect((query.errors[0] as { extensions: unknown }[])[0]).toMatchObject({ extensions: { code: 'VALIDATION_FAILED' } });
      expect(query.events).toEqual([]);
      await client.dispose();
    } finally {
      await server.stop();
    }
  });
});

describe('GraphQL subscriptions at shutdown', () => {
  it('when an instance shuts down gracefully, then its subscription sockets close with 1012 so clients reconnect elsewhere', async () => {
    const server = await startTestServer();
    const user = await registerUser(apiClient(server.url), 'gws-shutdown');
    const client = await connectLive(server.url, { token: user.accessToken });
    client.subscribe(CHANGES);
    await sleep(200);
    const stopped = server.stop();
    expect((await client.closed).code).toBe(1012);
    await stopped;
  });
});
