import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../support/http.js';
import { expectConnectRefused } from '../support/sockets.js';
import { jwtSecret, startTestServer, type RunningServer } from '../support/test-server.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Forged and broken access tokens, each refused over HTTP (REST and GraphQL) and at the socket handshake. */
describe('access-token attacks', () => {
  let server: RunningServer;
  let api: ApiClient;
  let victim: TestUser;
  const forged: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer({ INSTANCE_ID: 'attack' });
    api = apiClient(server.url);
    victim = await registerUser(api, 'victim');
    const claims = { sid: victim.sessionId };
    const good = { algorithm: 'HS256' as const, subject: victim.id, issuer: 'cobalt', audience: 'cobalt-api', expiresIn: 600, header: { alg: 'HS256' as const, typ: 'at+jwt' } };
    const now = Math.floor(Date.now() / 1000);
    const { expiresIn: _ttl, ...withoutTtl } = good;
    forged['expired'] = jwt.sign({ ...claims, exp: now - 5 }, jwtSecret, withoutTtl);
    forged['tampered payload'] = (() => {
      const [h, , sig] = victim.accessToken.split('.');
      return `${h}.${b64({ sub: victim.id, sid: victim.sessionId, iss: 'cobalt', aud: 'cobalt-api', exp: now + 3600 })}.${sig}`;
    })();
    forged['alg none'] = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ sub: victim.id, sid: victim.sessionId, iss: 'cobalt', aud: 'cobalt-api', exp: now + 600 })}.`;
    forged['HS512 instead of HS256'] = jwt.sign(claims, jwtSecret, { ...good, algorithm: 'HS512', header: { alg: 'HS512', typ: 'at+jwt' } });
    forged['wrong audience'] = jwt.sign(claims, jwtSecret, { ...good, audience: 'another-api' });
    forged['wrong issuer'] = jwt.sign(claims, jwtSecret, { ...good, issuer: 'someone-else' });
    forged['no typ'] = jwt.sign(claims, jwtSecret, { ...good, header: { alg: 'HS256' } });
    forged['signed with another key'] = jwt.sign(claims, 'not-the-server-key-but-long-enough-000', good);
    forged['garbage'] = 'not.a.jwt';
  });
  afterAll(() => server?.stop());

  const cases = ['expired', 'tampered payload', 'alg none', 'HS512 instead of HS256', 'wrong audience', 'wrong issuer', 'no typ', 'signed with another key', 'garbage'];

  it.each(cases)('when REST gets a token that is %s, then it is 401 and nothing is written', async (name) => {
    const write = await api.post('/api/todos', { title: 'forged write' }, forged[name]);
    expect(write.status).toBe(401);
    expect(write.body.error.code).toBe('UNAUTHENTICATED');
    expect((await api.get('/api/todos', victim.accessToken)).body.items).toEqual([]);
  });

  it.each(cases)('when GraphQL gets a token that is %s, then it is refused with UNAUTHENTICATED', async (name) => {
    const res = await api.graphql('mutation { createTodo(title: "forged") { id } }', {}, forged[name]);
    expect(res.status).toBe(401);
    expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(res.body.data).toBeUndefined();
  });

  it.each(cases)('when the socket handshake has a token that is %s, then no connection is made', async (name) => {
    const error = await expectConnectRefused(server.url, { token: forged[name] });
    expect(error.data).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('when the genuine token is used, then the same calls succeed (the forgeries were refused for their flaw alone)', async () => {
    expect((await api.get('/api/todos', victim.accessToken)).status).toBe(200);
  });
});
