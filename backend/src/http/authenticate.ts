import type { NextFunction, Request, Response } from 'express';
import type { AccessTokenVerifier, Identity } from '../lib/identity.js';
import { unauthenticated } from '../lib/app-error.js';
import { bindUserToContext } from '../lib/request-context.js';
import type { RateLimiter } from '../lib/rate-limit.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      identity?: Identity;
    }
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header ?? '');
  return match?.[1];
}

/** Resolves the caller from `Authorization: Bearer`, or undefined when no header is sent. */
export async function identify(auth: Pick<AccessTokenVerifier, 'authenticate'>, header: string | undefined): Promise<Identity | undefined> {
  if (header === undefined) return undefined;
  const token = bearerToken(header);
  if (!token) throw unauthenticated('Authorization header must be "Bearer <access token>"');
  const identity = await auth.authenticate(token);
  bindUserToContext(identity.userId, identity.sessionId);
  return identity;
}

/** Signed-in callers only; each request counts against the caller's own rate limit when one is given. */
export const requireAuth = (auth: Pick<AccessTokenVerifier, 'authenticate'>, perUserLimiter?: RateLimiter) => async (req: Request, _res: Response, next: NextFunction) => {
  const identity = await identify(auth, req.headers.authorization);
  if (!identity) throw unauthenticated();
  await perUserLimiter?.consume(`user:${identity.userId}`);
  req.identity = identity;
  next();
};

export function identityOf(req: Request): Identity {
  if (!req.identity) throw unauthenticated();
  return req.identity;
}
