import { Router, type Request } from 'express';
import { route } from '../../../http/async-route.js';
import { AppError } from '../../../lib/app-error.js';
import { identityOf, requireAuth } from '../../../http/authenticate.js';
import type { RateLimiter } from '../../../http/rate-limit.js';
import type { AuthService } from '../../auth/domain/auth-service.js';
import type { TodoService } from '../domain/todo-service.js';

/** REST adapter: moves path, query and body into the use case's input; the domain validates. */
export function createTodoRouter(auth: AuthService, todos: TodoService, perUserLimiter: RateLimiter): Router {
  const router = Router();
  router.use('/api/todos', requireAuth(auth, perUserLimiter));

  router.get(
    '/api/todos',
    route(async (req, res) => {
      res.json(await todos.list(identityOf(req), { ...req.query }));
    }),
  );
  router.post(
    '/api/todos',
    route(async (req, res) => {
      res.status(201).json(await todos.create(identityOf(req), withIdempotencyKey(req, asObject(req.body))));
    }),
  );
  router.get(
    '/api/todos/:id',
    route(async (req, res) => {
      res.json(await todos.get(identityOf(req), req.params.id));
    }),
  );
  router.patch(
    '/api/todos/:id',
    route(async (req, res) => {
      const body = asObject(req.body);
      // The id belongs to the path; one in the body is refused rather than silently ignored.
      if ('id' in body) throw new AppError('VALIDATION_FAILED', 'Request validation failed', { details: [{ path: 'id', message: 'The todo id goes in the path, not the body' }] });
      res.json(await todos.update(identityOf(req), withIdempotencyKey(req, { ...body, id: req.params.id })));
    }),
  );
  router.delete(
    '/api/todos/:id',
    route(async (req, res) => {
      await todos.remove(identityOf(req), withIdempotencyKey(req, { id: req.params.id }));
      res.status(204).end();
    }),
  );
  return router;
}

/** The `Idempotency-Key` header is the REST spelling of a write's `clientMutationId`. */
function withIdempotencyKey(req: Request, input: Record<string, unknown>): Record<string, unknown> {
  const key = req.get('idempotency-key');
  return key === undefined ? input : { ...input, clientMutationId: key };
}

/** A JSON body that is not an object (an array, a string) is passed on as-is to fail validation. */
function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : { body };
}
