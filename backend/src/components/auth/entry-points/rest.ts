import { Router, type Request } from 'express';
import { route } from '../../../http/async-route.js';
import { identityOf, requireAuth } from '../../../http/authenticate.js';
import type { RateLimiter } from '../../../http/rate-limit.js';
import { parseInput } from '../../../lib/validation.js';
import type { AuthService } from '../domain/auth-service.js';
import { loginInput, refreshInput, registerInput, sessionIdParam } from '../schemas.js';

/** A readable device name when the client does not give one. */
const deviceFrom = (req: Request): string => req.get('user-agent')?.trim().slice(0, 100) || 'Unknown device';

export function createAuthRouter(auth: AuthService, authLimiter: RateLimiter): Router {
  const router = Router();
  const signedIn = requireAuth(auth);

  router.post(
    '/api/auth/register',
    route(async (req, res) => {
      await authLimiter.consume(`ip:${req.ip}`);
      res.status(201).json(await auth.register(parseInput(registerInput, req.body), deviceFrom(req)));
    }),
  );

  router.post(
    '/api/auth/login',
    route(async (req, res) => {
      await authLimiter.consume(`ip:${req.ip}`);
      res.json(await auth.login(parseInput(loginInput, req.body), deviceFrom(req)));
    }),
  );

  router.post(
    '/api/auth/refresh',
    route(async (req, res) => {
      await authLimiter.consume(`ip:${req.ip}`);
      res.json(await auth.refresh(parseInput(refreshInput, req.body).refreshToken));
    }),
  );

  router.post(
    '/api/auth/logout',
    signedIn,
    route(async (req, res) => {
      await auth.logout(identityOf(req));
      res.status(204).end();
    }),
  );

  router.get(
    '/api/me',
    signedIn,
    route(async (req, res) => {
      res.json(await auth.me(identityOf(req)));
    }),
  );

  router.get(
    '/api/sessions',
    signedIn,
    route(async (req, res) => {
      res.json(await auth.listSessions(identityOf(req)));
    }),
  );

  router.delete(
    '/api/sessions/:id',
    signedIn,
    route(async (req, res) => {
      await auth.revokeSession(identityOf(req), parseInput(sessionIdParam, req.params.id));
      res.status(204).end();
    }),
  );

  return router;
}
