import { Router, type Request } from 'express';
import { AppError } from '../../../lib/app-error.js';
import { identityOf, requireAuth } from '../../../http/authenticate.js';
import type { AccessTokenVerifier } from '../../../lib/identity.js';
import type { RateLimiter } from '../../../lib/rate-limit.js';
import type { TodoService } from '../domain/todo-service.js';

/** REST adapter: moves path, query and body into the use case's input; the domain validates. */
export function createTodoRouter(auth: AccessTokenVerifier, todos: TodoService, perUserLimiter: RateLimiter): Router {
  const router = Router();
  router.use('/api/todos', requireAuth(auth, perUserLimiter));

  router.get('/api/todos', async (req, res) => {
    res.json(await todos.list(identityOf(req), { ...req.query }));
  });
  router.post('/api/todos', async (req, res) => {
    res.status(201).json(await todos.create(identityOf(req), withIdempotencyKey(req, bodyOf(req))));
  });
  router.get('/api/todos/:id', async (req, res) => {
    res.json(await todos.get(identityOf(req), req.params.id));
  });
  router.patch('/api/todos/:id', async (req, res) => {
    const body = bodyOf(req);
    // The id belongs to the path; one in the body is refused rather than silently ignored.
    if ('id' in body) throw refused('id', 'The todo id goes in the path, not the body');
    res.json(await todos.update(identityOf(req), withIdempotencyKey(req, { ...body, id: req.params.id })));
  });
  router.delete('/api/todos/:id', async (req, res) => {
    await todos.remove(identityOf(req), withIdempotencyKey(req, { id: req.params.id }));
    res.status(204).end();
  });
  return router;
}

const refused = (path: string, message: string) => new AppError('VALIDATION_FAILED', 'Request validation failed', { details: [{ path, message }] });

/**
 * The `Idempotency-Key` header is the REST spelling of a write's `clientMutationId`, and its only
 * one: the domain takes the key inside its input (GraphQL and sockets pass it as an argument or
 * field), so a `clientMutationId` in a REST body is refused here like any other unknown field.
 */
function withIdempotencyKey(req: Request, input: Record<string, unknown>): Record<string, unknown> {
  const key = req.get('idempotency-key');
  return key === undefined ? input : { ...input, clientMutationId: key };
}

/** The JSON body as an object; one that is not (an array, a string) is passed on as-is to fail validation. */
function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { body };
  if (Object.hasOwn(body, 'clientMutationId')) throw refused('', 'Unrecognized key: "clientMutationId" (send the key as the Idempotency-Key header)');
  return body as Record<string, unknown>;
}
