import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken, hashRefreshToken, newRefreshToken } from '../../src/components/auth/domain/tokens.js';

const settings = { secret: 's'.repeat(40), issuer: 'cobalt', audience: 'cobalt-api', accessTokenTtlSeconds: 60 };
const identity = { userId: '0b7f3c2e-7a53-4c61-9a38-4cf1d0e1b001', sessionId: '7d1f0e55-0ff4-4d0b-8a1f-3d2a1b5c9e02' };

const expectRefused = (token: string) => expect(() => verifyAccessToken(token, settings)).toThrowError(expect.objectContaining({ code: 'UNAUTHENTICATED' }));

describe('access tokens', () => {
  it('when a token is signed, then it verifies back to the same identity', () => {
    const verified = verifyAccessToken(signAccessToken(identity, settings), settings);
    expect(verified).toMatchObject(identity);
    expect(verified.expiresAt).toBeGreaterThan(Date.now() + 55_000);
  });

  it('when the token is signed with another secret, then it is refused', () => {
    expectRefused(signAccessToken(identity, { ...settings, secret: 'x'.repeat(40) }));
  });

  it('when the token uses alg none, then it is refused', () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ sub: identity.userId, sid: identity.sessionId, iss: 'cobalt', aud: 'cobalt-api', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url');
    expectRefused(`${header}.${payload}.`);
  });

  it('when the token uses another HMAC algorithm, then it is refused', () => {
    const token = jwt.sign({ sid: identity.sessionId }, settings.secret, {
      algorithm: 'HS512',
      subject: identity.userId,
      issuer: 'cobalt',
      audience: 'cobalt-api',
      header: { alg: 'HS512', typ: 'at+jwt' },
    });
    expectRefused(token);
  });

  it('when audience, issuer or typ differ, then it is refused', () => {
    expectRefused(signAccessToken(identity, { ...settings, audience: 'other' }));
    expectRefused(signAccessToken(identity, { ...settings, issuer: 'other' }));
    expectRefused(jwt.sign({ sid: identity.sessionId }, settings.secret, { algorithm: 'HS256', subject: identity.userId, issuer: 'cobalt', audience: 'cobalt-api' }));
  });

  it('when the token has expired, then it is refused with an expiry message', () => {
    const token = jwt.sign({ sid: identity.sessionId, exp: Math.floor(Date.now() / 1000) - 10 }, settings.secret, {
      algorithm: 'HS256',
      subject: identity.userId,
      issuer: 'cobalt',
      audience: 'cobalt-api',
      header: { alg: 'HS256', typ: 'at+jwt' },
    });
    expect(() => verifyAccessToken(token, settings)).toThrowError('Access token expired');
  });

  it('when the payload is tampered with, then it is refused', () => {
    const [h, , s] = signAccessToken(identity, settings).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'someone-else', sid: identity.sessionId, iss: 'cobalt', aud: 'cobalt-api' })).toString('base64url');
    expectRefused(`${h}.${forged}.${s}`);
  });
});

describe('refresh tokens', () => {
  it('when generated, then they are unique and only their hash is derived', () => {
    const a = newRefreshToken();
    const b = newRefreshToken();
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toBe(hashRefreshToken(a.token));
    expect(a.hash).not.toContain(a.token);
  });
});
