import { CobaltError } from './errors.js';

export interface AccessClaims {
  /** The user id. */
  sub: string;
  /** The session id. */
  sid: string;
  iat: number;
  exp: number;
}

/**
 * Reads the claims of an access token. The signature is the server's business: a client only
 * needs to know whose session it is (`sid`) and how long it lives (`exp - iat`).
 */
export function readAccessClaims(token: string): AccessClaims {
  const payload = token.split('.')[1];
  if (!payload) throw new CobaltError('BAD_RESPONSE', 'Malformed access token');
  try {
    const base64 = payload
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json) as Partial<AccessClaims>;
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.iat !== 'number' || typeof claims.exp !== 'number') throw new Error('claims missing');
    return claims as AccessClaims;
  } catch (error) {
    throw new CobaltError('BAD_RESPONSE', 'Malformed access token', { cause: error });
  }
}
