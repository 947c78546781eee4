import type { OpenApiPaths } from '../../../http/openapi.js';
import { clientMutationIdSchema, createTodoInput, listTodosInput, todoId, todoOutput, todoPageOutput, todoPatch } from '../schemas.js';

const idempotencyKey = {
  schema: clientMutationIdSchema,
  description: 'Makes a retry apply once: the same key and request answer the first outcome (docs/API.md, "Retrying writes safely")',
};

/** The routes of rest.ts, as the OpenAPI document describes them (http/openapi.ts). */
export const todoRoutes: OpenApiPaths = {
  '/api/todos': {
    get: {
      summary: "A page of the user's todos, in creation order",
      tags: ['todos'],
      auth: true,
      query: listTodosInput,
      ok: [200, todoPageOutput, 'The page'],
      errors: [400, 401, 429],
    },
    post: {
      summary: 'Create a todo',
      tags: ['todos'],
      auth: true,
      headers: { 'Idempotency-Key': idempotencyKey },
      body: createTodoInput,
      ok: [201, todoOutput, 'The todo'],
      errors: [400, 401, 409, 413, 429],
    },
  },
  '/api/todos/{id}': {
    get: { summary: 'One todo', tags: ['todos'], auth: true, params: { id: todoId }, ok: [200, todoOutput, 'The todo'], errors: [400, 401, 404, 429] },
    patch: {
      summary: 'Change a todo (title and/or completed)',
      tags: ['todos'],
      auth: true,
      params: { id: todoId },
      headers: { 'Idempotency-Key': idempotencyKey },
      body: todoPatch.meta({ minProperties: 1 }),
      ok: [200, todoOutput, 'The todo as changed'],
      errors: [400, 401, 404, 409, 413, 429],
    },
    delete: {
      summary: 'Delete a todo',
      tags: ['todos'],
      auth: true,
      params: { id: todoId },
      headers: { 'Idempotency-Key': idempotencyKey },
      ok: [204, null, 'Deleted'],
      errors: [400, 401, 404, 409, 429],
    },
  },
};
