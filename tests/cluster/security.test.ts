import { randomUUID } from 'node:crypto';
import net from 'node:net';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_RACE_WINDOW_MS } from '../../backend/src/components/auth/domain/auth-service.js';
import { services } from '../../backend/test/support/env.js';
import { apiClient, registerUser, type ApiClient, type ApiResponse } from '../../backend/test/support/http.js';
import { sleep } from '../../backend/test/support/sockets.js';
import { openStoreProbe, type StoreProbe } from '../../backend/test/support/stored-state.js';
import { cluster } from './cluster-env.js';

describe('rate limits across the three instances behind Caddy', () => {
  it('when 2N sign-ins for one account arrive with forged X-Forwarded-For, then exactly N are processed', async () => {
    const api = apiClient(cluster.publicUrl);
    const user = await registerUser(api, 'c-limit');
    const limit = 10; // AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE of the test cluster (the default)
    const results = await Promise.all(
      Array.from({ length: 2 * limit }, (_, i) =>
        api.request('POST', '/api/auth/login', {
          body: { email: user.email, password: 'wrong password' },
          headers: { 'x-forwarded-for': `198.18.${i}.${i + 1}` },
        }),
      ),
    );
    expect(new Set(results.map((r) => r.headers.get('x-instance-id'))).size).toBe(3);
    expect(results.filter((r) => r.status === 401)).toHaveLength(limit);
    expect(results.filter((r) => r.status === 429)).toHaveLength(limit);
  });

  it('when a client forges X-Forwarded-For through Caddy, then the backend still sees the real client address', async () => {
    const requestId = `xff-${randomUUID()}`;
    const res = await fetch(new URL('/api/todos', cluster.publicUrl), { headers: { 'x-forwarded-for': '6.6.6.6', 'x-request-id': requestId } });
    expect(res.status).toBe(401);
    const mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
    try {
      let record: any = null;
      for (let i = 0; i < 30 && !record; i++) {
        await sleep(200);
        record = await mongo.collection('logs').findOne({ record: 'request', requestId });
      }
      expect(record).not.toBeNull();
      expect(record.ip).toBe('127.0.0.1');
    } finally {
      await mongo.close();
    }
  });
});

/**
 * Sends one request as raw bytes to Caddy (what fetch would refuse to send) and resolves with the
 * status line and body of the answer, or what happened to the connection.
 */
function rawRequest(head: string, body: string, { closeAfterMs }: { closeAfterMs?: number } = {}): Promise<{ status: number; body: string }> {
  const url = new URL(cluster.publicUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      socket.write(`${head}\r\nHost: ${url.host}\r\n\r\n${body}`);
      if (closeAfterMs !== undefined) setTimeout(() => socket.destroy(), closeAfterMs);
    });
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    const done = () => {
      const [statusLine = ''] = data.split('\r\n');
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    };
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
}

/**
 * Issue 13, finding 1: Caddy's passive health checks counted a client's malformed request as a
 * failure of the backend, so nine concurrent ones from one anonymous client took every instance out
 * of rotation and stalled everyone for seconds. No client request may decide rotation.
 */
describe('no client can take instances out of rotation', () => {
  const api = () => apiClient(cluster.publicUrl);

  /** Sequential requests after an attack: each answered by a backend, quickly, and all three still in rotation. */
  async function expectAllInstancesServeQuickly(label: string) {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const started = Date.now();
      const res = await api().get('/api/me');
      const tookMs = Date.now() - started;
      expect(res.status, label).toBe(401);
      expect(res.body.error.code, label).toBe('UNAUTHENTICATED');
      expect(tookMs, `${label}: request ${i} took ${tookMs} ms`).toBeLessThan(1000);
      seen.add(res.headers.get('x-instance-id') ?? 'none');
    }
    expect([...seen].sort(), label).toEqual(['backend-1', 'backend-2', 'backend-3']);
  }

  it('when 12 anonymous requests with a malformed chunked body arrive at once, then each is a 400 and every instance keeps serving at once', async () => {
    await expectAllInstancesServeQuickly('before');
    for (let round = 0; round < 3; round++) {
      const attacks = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          rawRequest(
            [`POST ${['/api/todos', '/graphql', '/api/auth/login'][i % 3]} HTTP/1.1`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close'].join(
              '\r\n',
            ),
            'zz\r\nabc\r\n0\r\n\r\n',
          ),
        ),
      );
      await expectAllInstancesServeQuickly(`after round ${round + 1}`);
      // And the attacker is told its request was malformed, not that no backend is up.
      for (const answer of attacks) {
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body)).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.any(String) } });
      }
    }
  });

  it('when 12 clients send a body shorter than announced and hang up, then every instance keeps serving at once', async () => {
    await Promise.all(
      Array.from({ length: 12 }, () =>
        rawRequest(['POST /api/auth/register HTTP/1.1', 'Content-Type: application/json', 'Content-Length: 4096'].join('\r\n'), '{"email":', { closeAfterMs: 100 }),
      ),
    );
    await expectAllInstancesServeQuickly('after truncated bodies');
  });
});

/**
 * Issue 13, finding 2, through Caddy across the three instances: tabs that refresh with one token
 * at the same moment must not sign the user out; a replay of a used token later still does.
 */
describe('refresh-token races through Caddy', () => {
  let probe: StoreProbe;
  beforeAll(async () => {
    probe = await openStoreProbe();
  });
  afterAll(() => probe?.close());

  /**
   * The refresh limit per client address is shared with the rest of the suite (every request through
   * Caddy comes from 127.0.0.1): a request it refuses is sent again once the window allows.
   */
  async function unlimited<T extends ApiResponse[] | ApiResponse>(send: () => Promise<T>): Promise<T> {
    for (;;) {
      const answer = await send();
      const answers: ApiResponse[] = Array.isArray(answer) ? answer : [answer];
      if (!answers.every((r) => r.status === 429)) return answer;
      await sleep(Number(answers[0]!.headers.get('retry-after') ?? 1) * 1000);
    }
  }
  const refresh = (api: ApiClient, refreshToken: string) => unlimited(() => api.post('/api/auth/refresh', { refreshToken }));

  /** Three refreshes with one token, the second and third `spreadMs` and twice that after the first. */
  const race = (api: ApiClient, token: string, spreadMs: number) =>
    unlimited(() => Promise.all([0, 1, 2].map((i) => sleep(i * spreadMs).then(() => api.post('/api/auth/refresh', { refreshToken: token })))));

  it(
    'when 3 refreshes race with one token, 16 times and up to 30 ms apart, then each race has one winner, the others 401, and nothing is revoked',
    { timeout: 150_000 },
    async () => {
      const api = apiClient(cluster.publicUrl);
      const user = await registerUser(api, 'c-race');
      const instances = new Set<string>();
      let token = user.refreshToken;
      // Few races, as the refresh budget is shared: auth-races.test.ts runs 150 against two in-process instances.
      for (let round = 0; round < 16; round++) {
        const answers = await race(api, token, round);
        for (const r of answers) instances.add(r.headers.get('x-instance-id') ?? 'none');
        const winners = answers.filter((r) => r.status === 200);
        expect(winners, `race ${round}: ${answers.map((r) => r.status).join(',')}`).toHaveLength(1);
        // A contender the limit refused (429) never reached the token.
        for (const loser of answers.filter((r) => r.status !== 200)) expect([401, 429]).toContain(loser.status);
        token = winners[0]!.body.refreshToken;
      }
      expect(instances.size).toBeGreaterThanOrEqual(2);
      expect(await probe.sessionsOf(user.id)).toEqual([{ id: user.sessionId, device: expect.any(String), revoked: false }]);
      const last = await refresh(api, token);
      expect(last.status).toBe(200);
      expect((await api.get('/api/me', last.body.accessToken)).status).toBe(200);
    },
  );

  it('when a used token is replayed through another instance after the race window, then the session is revoked everywhere', { timeout: 150_000 }, async () => {
    const api = apiClient(cluster.publicUrl);
    const user = await registerUser(api, 'c-replay');
    const first = await refresh(api, user.refreshToken);
    expect(first.status).toBe(200);
    await sleep(REFRESH_RACE_WINDOW_MS + 100);
    expect((await refresh(api, user.refreshToken)).status).toBe(401);
    expect(await probe.sessionsOf(user.id)).toEqual([expect.objectContaining({ revoked: true })]);
    for (let i = 0; i < 3; i++) expect((await api.get('/api/me', first.body.accessToken)).status).toBe(401);
  });
});

describe('answers with tokens or account data through Caddy', () => {
  it('when tokens and account data come back through Caddy, then they are Cache-Control: no-store', async () => {
    const api = apiClient(cluster.publicUrl);
    const user = await registerUser(api, 'c-no-store');
    const answers = {
      login: await api.post('/api/auth/login', { email: user.email, password: 'correct horse battery' }),
      me: await api.get('/api/me', user.accessToken),
      sessions: await api.get('/api/sessions', user.accessToken),
      todos: await api.get('/api/todos', user.accessToken),
      graphql: await api.graphql('{ me { email } }', {}, user.accessToken),
    };
    for (const [label, res] of Object.entries(answers)) {
      expect(res.status, label).toBe(200);
      expect(res.headers.get('cache-control'), label).toBe('no-store');
    }
  });
});
