import { z } from 'zod';

const accessClaims = z.object({
  sub: z.string(),
  sid: z.string(),
  iat: z.number(),
  exp: z.number(),
});

export type AccessClaims = z.infer<typeof accessClaims>;

/**
 * Reads the claims of an access token. The signature is the server's business: the app only
 * needs to know whose session it is (`sid`) and how long it lives (`exp - iat`).
 */
export function readAccessClaims(token: string): AccessClaims {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('Malformed access token');
  const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
  const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  return accessClaims.parse(JSON.parse(json));
}
