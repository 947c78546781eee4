import { performance } from 'node:perf_hooks';
import { Router, type CookieOptions, type Request, type Response } from 'express';
import { identityOf, requireAuth } from '../../../http/authenticate.js';
import type { RateLimiter } from '../../../lib/rate-limit.js';
import { AppError } from '../../../lib/app-error.js';
import { parseInput } from '../../../lib/validation.js';
import type { AuthService } from '../domain/auth-service.js';
import { loginInput, refreshInput, registerInput, sessionIdParam } from '../schemas.js';

/**
 * Browser clients (header `X-Cobalt-Client: web`) never see their refresh token: it travels in
 * an HttpOnly, SameSite=Strict cookie scoped to /api/auth, Secure everywhere but on localhost.
 * Other clients get it in the JSON body, as the contract says.
 */
const REFRESH_COOKIE = 'cobalt_refresh';
const isWebClient = (req: Request) => req.get('x-cobalt-client') === 'web';
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function cookieOptions(req: Request, maxAgeMs?: number): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', path: '/api/auth', secure: req.secure || !LOCAL_HOSTS.has(req.hostname), ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
}

/**
 * Sends tokens the way the client asked for them. Never cacheable: `Cache-Control: no-store` is set
 * for every answer (http/app.ts), `Pragma: no-cache` here for HTTP/1.0 caches (RFC 6749 §5.1).
 */
function sendTokens<T extends { refreshToken: string }>(req: Request, res: Response, status: number, result: T, refreshTtlMs: number): void {
  res.setHeader('Pragma', 'no-cache');
  if (!isWebClient(req)) {
    res.status(status).json(result);
    return;
  }
  const { refreshToken, ...rest } = result;
  res.cookie(REFRESH_COOKIE, refreshToken, cookieOptions(req, refreshTtlMs));
  res.status(status).json(rest);
}

/** A readable device name when the client does not give one. */
const deviceFrom = (req: Request): string => req.get('user-agent')?.trim().slice(0, 100) || 'Unknown device';

export interface AuthRateLimiters {
  /** register and sign-in, per client IP */
  perIp: RateLimiter;
  /** refresh, per client IP (higher: every open tab refreshes) */
  refreshPerIp: RateLimiter;
  /** register and sign-in, per account (email), whatever the IP: slows password guessing and sign-up probing spread over many addresses */
  perAccount: RateLimiter;
  /** everything a signed-in user does */
  perUser: RateLimiter;
}

export function createAuthRouter(auth: AuthService, limits: AuthRateLimiters, refreshTtlMs: number): Router {
  const router = Router();
  const signedIn = requireAuth(auth, limits.perUser);

  router.post('/api/auth/register', async (req, res) => {
    await limits.perIp.consume(`ip:${req.ip}`);
    const input = parseInput(registerInput, req.body);
    await limits.perAccount.consume(`register:${input.email}`);
    sendTokens(req, res, 201, await auth.register(input, deviceFrom(req)), refreshTtlMs);
  });

  router.post('/api/auth/login', async (req, res) => {
    await limits.perIp.consume(`ip:${req.ip}`);
    const input = parseInput(loginInput, req.body);
    await limits.perAccount.consume(`account:${input.email}`);
    sendTokens(req, res, 200, await auth.login(input, deviceFrom(req)), refreshTtlMs);
  });

  router.post('/api/auth/refresh', async (req, res) => {
    // When the request arrived, before anything waits: whether an earlier use of its token raced
    // it or was a replay is measured back from here (see auth-service.ts refresh).
    const receivedAt = performance.now();
    await limits.refreshPerIp.consume(`ip:${req.ip}`);
    const emptyBody = req.body === undefined || (typeof req.body === 'object' && req.body !== null && Object.keys(req.body as object).length === 0);
    let body: unknown = req.body;
    if (isWebClient(req) && emptyBody) {
      const cookies = req.cookies as Record<string, unknown> | undefined;
      const fromCookie = cookies?.[REFRESH_COOKIE];
      if (typeof fromCookie !== 'string' || fromCookie === '') throw new AppError('UNAUTHENTICATED', 'No refresh token: sign in again');
      body = { refreshToken: fromCookie };
    }
    sendTokens(req, res, 200, await auth.refresh(parseInput(refreshInput, body).refreshToken, receivedAt), refreshTtlMs);
  });

  router.post('/api/auth/logout', signedIn, async (req, res) => {
    await auth.logout(identityOf(req));
    if (isWebClient(req)) res.clearCookie(REFRESH_COOKIE, cookieOptions(req));
    res.status(204).end();
  });

  router.get('/api/me', signedIn, async (req, res) => {
    res.json(await auth.me(identityOf(req)));
  });

  router.get('/api/sessions', signedIn, async (req, res) => {
    res.json(await auth.listSessions(identityOf(req)));
  });

  router.patch('/api/sessions/:id', signedIn, async (req, res) => {
    res.json(await auth.renameSession(identityOf(req), parseInput(sessionIdParam, req.params.id), req.body ?? {}));
  });

  router.delete('/api/sessions/:id', signedIn, async (req, res) => {
    await auth.revokeSession(identityOf(req), parseInput(sessionIdParam, req.params.id));
    res.status(204).end();
  });

  return router;
}
