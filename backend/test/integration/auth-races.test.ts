import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_RACE_WINDOW_MS } from '../../src/components/auth/domain/auth-service.js';
import { ownClientAddress } from '../support/client-address.js';
import { apiClient, registerUser, uniqueEmail, type ApiClient, type ApiResponse } from '../support/http.js';
import { sleep } from '../support/sockets.js';
import { openStoreProbe, type StoreProbe } from '../support/stored-state.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/**
 * Account writes under races. Refresh-token rotation (issue 13, finding 2). Two tabs that refresh with the same
 * token at the same moment must not sign the user out: exactly one wins, the others get 401 and
 * nothing is revoked. A token used again later is a replay of a copy and still ends the session.
 */
describe('refresh-token rotation and registration races', () => {
  let a: RunningServer;
  let b: RunningServer;
  let apis: ApiClient[];
  let probe: StoreProbe;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestServer({ INSTANCE_ID: 'race-a' }), startTestServer({ INSTANCE_ID: 'race-b' })]);
    apis = [apiClient(a.url), apiClient(b.url)];
    probe = await openStoreProbe();
  });
  afterAll(async () => {
    await probe?.close();
    await a?.stop();
    await b?.stop();
  });

  // From an address of this file's own (the test servers trust loopback proxies): its hundreds of
  // refreshes do not spend the per-address refresh budget the rest of the suite shares on 127.0.0.1.
  const address = { 'x-forwarded-for': ownClientAddress() };
  const refresh = (api: ApiClient, refreshToken: string) => api.request('POST', '/api/auth/refresh', { body: { refreshToken }, headers: address });

  /** Contender `i` of a race leaves `i * spreadMs` after the first (plus up to 1 ms of jitter): tabs "at the same moment" are not at the same microsecond. */
  const staggered = <T>(count: number, spreadMs: number, send: (i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: count }, (_, i) => sleep(i === 0 ? 0 : i * spreadMs + Math.random()).then(() => send(i))));

  it(
    'when 3 refreshes race with one token, 150 times over two instances and up to 40 ms apart (first to last), then each race has exactly one winner and the session lives on',
    { timeout: 90_000 },
    async () => {
      const user = await registerUser(apis[0]!, 'race');
      let token = user.refreshToken;
      for (let race = 0; race < 150; race++) {
        // Races run from all at once to 20 ms apart: later contenders arrive after the winner has committed.
        const answers = await staggered(3, race % 21, (i) => refresh(apis[(race + i) % 2]!, token));
        const winners = answers.filter((r) => r.status === 200);
        expect(winners, `race ${race}: ${answers.map((r) => r.status).join(',')}`).toHaveLength(1);
        for (const loser of answers.filter((r) => r.status !== 200)) {
          expect(loser.status).toBe(401);
          expect(loser.body.error).toEqual({ code: 'UNAUTHENTICATED', message: 'Invalid refresh token' });
        }
        token = winners[0]!.body.refreshToken;
      }
      // Nothing was revoked: the session is live, its last token and its access tokens work.
      expect(await probe.sessionsOf(user.id)).toEqual([{ id: user.sessionId, device: expect.any(String), revoked: false }]);
      const last = await refresh(apis[1]!, token);
      expect(last.status).toBe(200);
      expect((await apis[0]!.get('/api/me', last.body.accessToken)).status).toBe(200);
    },
  );

  it('when two browser tabs race with the refresh cookie, then one wins and the other tab is not signed out', async () => {
    const user = await registerUser(apis[0]!, 'race-web');
    const web = { 'x-cobalt-client': 'web' };
    const login = await apis[0]!.request('POST', '/api/auth/login', { body: { email: user.email, password: 'correct horse battery' }, headers: web });
    let cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    for (let race = 0; race < 30; race++) {
      const answers: ApiResponse[] = await staggered(2, race % 11, (i) => apis[i]!.request('POST', '/api/auth/refresh', { headers: { ...web, ...address, cookie } }));
      const winners = answers.filter((r) => r.status === 200);
      expect(winners, `race ${race}`).toHaveLength(1);
      cookie = (winners[0]!.headers.get('set-cookie') ?? '').split(';')[0]!;
    }
    expect((await probe.sessionsOf(user.id)).every((s) => !s.revoked)).toBe(true);
  });

  it('when a used token is presented again right away, then it is refused without revoking (it may be a late racer)', async () => {
    const user = await registerUser(apis[0]!, 'race-late');
    const first = await refresh(apis[0]!, user.refreshToken);
    expect(first.status).toBe(200);
    expect((await refresh(apis[1]!, user.refreshToken)).status).toBe(401);
    expect(await probe.sessionsOf(user.id)).toEqual([expect.objectContaining({ revoked: false })]);
    expect((await refresh(apis[0]!, first.body.refreshToken)).status).toBe(200);
  });

  it(`when a used token is replayed after the race window (${REFRESH_RACE_WINDOW_MS} ms), then the whole session is revoked`, async () => {
    const user = await registerUser(apis[0]!, 'race-replay');
    const first = await refresh(apis[0]!, user.refreshToken);
    expect(first.status).toBe(200);
    await sleep(REFRESH_RACE_WINDOW_MS + 100);
    const replay = await refresh(apis[1]!, user.refreshToken);
    expect(replay.status).toBe(401);
    expect(await probe.sessionsOf(user.id)).toEqual([expect.objectContaining({ revoked: true })]);
    expect((await refresh(apis[0]!, first.body.refreshToken)).status).toBe(401);
    expect((await apis[1]!.get('/api/me', first.body.accessToken)).status).toBe(401);
  });

  it('when one email registers five times at once on two instances, then one account with one session exists and the rest are 409', async () => {
    const email = uniqueEmail('race-register');
    const answers = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => apis[i % 2]!.request('POST', '/api/auth/register', { body: { email, password: 'correct horse battery', name: `R${i}` }, headers: address })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const conflict of answers.filter((r) => r.status === 409)) expect(conflict.body.error.code).toBe('CONFLICT');
    const winner = answers.find((r) => r.status === 201)!;
    expect(await probe.usersWithEmailPrefix(email)).toBe(1);
    expect(await probe.sessionsOf(winner.body.user.id)).toEqual([{ id: winner.body.sessionId, device: expect.any(String), revoked: false }]);
  });
});
