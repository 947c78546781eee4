/** An unsigned access token with the claims the app reads (the server checks signatures, the app never does). */
export function fakeAccessToken(claims: { sub?: string; sid: string; iat?: number; exp?: number }): string {
  const iat = claims.iat ?? Math.floor(Date.now() / 1000);
  const payload = { sub: claims.sub ?? 'user-1', sid: claims.sid, iat, exp: claims.exp ?? iat + 900 };
  const encode = (value: object) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${encode({ alg: 'HS256', typ: 'at+jwt' })}.${encode(payload)}.signature`;
}
