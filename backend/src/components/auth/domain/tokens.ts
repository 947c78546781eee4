import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from '../../../lib/app-error.js';
import type { Identity, VerifiedToken } from '../../../lib/identity.js';

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

// RFC 8725: one explicitly allowed algorithm, and a `typ` that no other JWT of ours carries.
const ALGORITHM = 'HS256';
const ACCESS_TOKEN_TYPE = 'at+jwt';

// Given a string, jsonwebtoken first tries to parse it as a PEM public/private key (which throws)
// on every sign and verify; that cost a fifth of a todo-list request. The key object is built once.
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

export function signAccessToken(identity: Identity, settings: TokenSettings): string {
  return jwt.sign({ sid: identity.sessionId }, keyOf(settings.secret), {
    algorithm: ALGORITHM,
    expiresIn: settings.accessTokenTtlSeconds,
    issuer: settings.issuer,
    audience: settings.audience,
    subject: identity.userId,
    header: { alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE },
  });
}

export function verifyAccessToken(token: string, settings: TokenSettings): VerifiedToken {
  let decoded: jwt.Jwt;
  try {
    decoded = jwt.verify(token, keyOf(settings.secret), {
      algorithms: [ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      complete: true,
    });
  } catch (error) {
    const expired = error instanceof jwt.TokenExpiredError;
    throw new AppError('UNAUTHENTICATED', expired ? 'Access token expired' : 'Invalid access token');
  }
  const payload = decoded.payload as jwt.JwtPayload;
  if (decoded.header.typ !== ACCESS_TOKEN_TYPE || typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') {
    throw new AppError('UNAUTHENTICATED', 'Invalid access token');
  }
  return { userId: payload.sub, sessionId: payload.sid, expiresAt: payload.exp * 1000 };
}

/** Refresh tokens are opaque random values; only their hash is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export const hashRefreshToken = (token: string): string => createHash('sha256').update(token).digest('hex');
