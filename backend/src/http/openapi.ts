import { ERROR_CODES } from '@cobalt/contract';
import { Router } from 'express';
import { z } from 'zod';
import { authResultOutput, loginInput, refreshInput, registerInput, renameSessionInput, sessionIdParam, sessionOutput, tokenPairOutput, userOutput } from '../components/auth/schemas.js';
import { clientMutationIdSchema, createTodoInput, listTodosInput, todoId, todoOutput, todoPageOutput, todoPatch } from '../components/todos/schemas.js';

/**
 * The OpenAPI 3.1 description of the REST API, built from the zod schemas the routes validate
 * with (request side) and the shapes they answer (response side): nothing here is a hand-written
 * copy of a rule. Published at GET /api/openapi.json and as backend/openapi.json
 * (`npm run openapi -w backend`; a unit test fails when the file and the code differ).
 */

const errorBody = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error', description: 'The error envelope of every REST answer that is not a success (docs/API.md section 2)' });

const healthBody = z.strictObject({ status: z.enum(['ok', 'draining']), instance: z.string() }).meta({ id: 'Health' });
const readinessBody = z
  .strictObject({
    status: z.enum(['ok', 'unavailable']),
    instance: z.string(),
    checks: z.record(z.enum(['postgres', 'mongodb', 'redis', 'accepting']), z.enum(['up', 'down'])),
  })
  .meta({ id: 'Readiness' });

type Schema = z.ZodType;
interface Operation {
  summary: string;
  tags: string[];
  auth?: boolean;
  params?: Record<string, Schema>;
  query?: z.ZodObject;
  headers?: Record<string, { schema: Schema; description: string }>;
  body?: Schema;
  /** The body may be left out (refresh with the cookie). */
  bodyOptional?: boolean;
  /** Success status and its body (none for 204). */
  ok: [number, Schema | null, string];
  /** Error statuses the route answers, besides those every route may (see `common`). */
  errors: number[];
}

const ERROR_TEXT: Record<number, string> = {
  400: 'VALIDATION_FAILED: the input breaks a rule (details lists each problem), or the body is not valid JSON',
  401: 'UNAUTHENTICATED (missing, invalid, expired or revoked token) or INVALID_CREDENTIALS',
  404: 'NOT_FOUND: no such resource for this user',
  409: 'CONFLICT: the email has an account, or the Idempotency-Key was used for a different request',
  413: 'PAYLOAD_TOO_LARGE: the body is over 64 KB',
  429: 'RATE_LIMITED: wait Retry-After seconds',
  500: 'INTERNAL: unexpected error (message is always "Internal error")',
  503: 'UNAVAILABLE: a backing store is unreachable, or a retry waited too long for its first attempt; wait Retry-After seconds',
};

/** Statuses any route can answer: a store down, the unexpected. */
const common = [500, 503];

const webClient = { schema: z.literal('web'), description: 'Browser clients: the refresh token travels in the HttpOnly cookie cobalt_refresh, never in the body' };
const idempotencyKey = { schema: clientMutationIdSchema, description: 'Makes a retry apply once: the same key and request answer the first outcome (docs/API.md, "Retrying writes safely")' };

const routes: Record<string, Record<string, Operation>> = {
  '/api/auth/register': {
    post: { summary: 'Create an account and its first session', tags: ['auth'], headers: { 'X-Cobalt-Client': webClient }, body: registerInput, ok: [201, authResultOutput, 'The account, its first session and its tokens'], errors: [400, 409, 413, 429] },
  },
  '/api/auth/login': {
    post: { summary: 'Sign in: a new session', tags: ['auth'], headers: { 'X-Cobalt-Client': webClient }, body: loginInput, ok: [200, authResultOutput, 'The new session and its tokens'], errors: [400, 401, 413, 429] },
  },
  '/api/auth/refresh': {
    post: {
      summary: 'Trade a refresh token for a new pair (rotation)',
      tags: ['auth'],
      headers: { 'X-Cobalt-Client': webClient },
      body: refreshInput,
      bodyOptional: true,
      ok: [200, tokenPairOutput, 'A new access token and refresh token'],
      errors: [400, 401, 413, 429],
    },
  },
  '/api/auth/logout': { post: { summary: 'Revoke the current session', tags: ['auth'], auth: true, ok: [204, null, 'Signed out'], errors: [401, 429] } },
  '/api/me': { get: { summary: 'The signed-in user', tags: ['auth'], auth: true, ok: [200, userOutput, 'The user'], errors: [401, 429] } },
  '/api/sessions': {
    get: { summary: "The user's active sessions, oldest first", tags: ['sessions'], auth: true, ok: [200, z.array(sessionOutput), 'The sessions'], errors: [401, 429] },
  },
  '/api/sessions/{id}': {
    patch: { summary: 'Rename a session', tags: ['sessions'], auth: true, params: { id: sessionIdParam }, body: renameSessionInput, ok: [200, sessionOutput, 'The renamed session'], errors: [400, 401, 404, 413, 429] },
    delete: { summary: 'Revoke a session (sign a device out)', tags: ['sessions'], auth: true, params: { id: sessionIdParam }, ok: [204, null, 'Revoked'], errors: [400, 401, 404, 429] },
  },
  '/api/todos': {
    get: { summary: "A page of the user's todos, in creation order", tags: ['todos'], auth: true, query: listTodosInput, ok: [200, todoPageOutput, 'The page'], errors: [400, 401, 429] },
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
  '/health/live': { get: { summary: 'Liveness: the process runs', tags: ['health'], ok: [200, healthBody, 'Alive'], errors: [] } },
  '/health/accepting': { get: { summary: 'Whether the instance takes new work (503 while draining)', tags: ['health'], ok: [200, healthBody, 'Accepting'], errors: [] } },
  '/health/ready': { get: { summary: 'Readiness: every store reachable and accepting (503 otherwise, same body)', tags: ['health'], ok: [200, readinessBody, 'Ready'], errors: [] } },
  '/api/openapi.json': { get: { summary: 'This document', tags: ['meta'], ok: [200, z.record(z.string(), z.unknown()), 'The OpenAPI 3.1 document'], errors: [] } },
};

/** JSON Schema of the request side (what a client sends) or the response side, with named shapes as components. */
function jsonSchema(schema: Schema, io: 'input' | 'output', components: Record<string, unknown>): Record<string, unknown> {
  const generated = JSON.stringify(z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12', reused: 'inline' }));
  const { $schema: _drop, $defs, ...rest } = JSON.parse(generated.replaceAll('"#/$defs/', '"#/components/schemas/')) as Record<string, unknown>;
  Object.assign(components, $defs ?? {});
  return rest;
}

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string', pattern: '^\\d+$' } } };

export function buildOpenApiDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  const named = (schema: Schema, io: 'input' | 'output') => {
    const id = z.globalRegistry.get(schema)?.id;
    if (!id) return jsonSchema(schema, io, schemas);
    // zod lists a schema with an id among its definitions and refers to it from the root.
    const { id: _id, ...definition } = jsonSchema(schema, io, schemas);
    if (definition.$ref !== `#/components/schemas/${id as string}`) schemas[id as string] = definition;
    return { $ref: `#/components/schemas/${id as string}` };
  };
  const errorRef = named(errorBody, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, operations] of Object.entries(routes)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(operations)) {
      const parameters: unknown[] = [];
      for (const [name, schema] of Object.entries(op.params ?? {})) parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input', schemas) });
      if (op.query) {
        const query = jsonSchema(op.query, 'input', schemas) as { properties: Record<string, unknown>; required?: string[] };
        for (const [name, schema] of Object.entries(query.properties)) parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
      }
      for (const [name, header] of Object.entries(op.headers ?? {})) parameters.push({ name, in: 'header', required: false, description: header.description, schema: jsonSchema(header.schema, 'input', schemas) });
      const [okStatus, okSchema, okText] = op.ok;
      const responses: Record<string, unknown> = {
        [okStatus]: okSchema ? { description: okText, content: { 'application/json': { schema: named(okSchema, 'output') } } } : { description: okText },
      };
      if (path.startsWith('/health/') && path !== '/health/live') {
        responses['503'] = { description: 'Not ready or draining (a probe result, not an error envelope)', content: { 'application/json': { schema: named(okSchema ?? healthBody, 'output') } } };
      }
      const statuses = [...new Set([...op.errors, ...(path.startsWith('/api/') && path !== '/api/openapi.json' ? common : [])])].sort();
      for (const status of statuses) {
        responses[status] = {
          description: ERROR_TEXT[status],
          ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
          content: { 'application/json': { schema: errorRef } },
        };
      }
      paths[path][method] = {
        summary: op.summary,
        operationId: `${method}${path.replace(/[{}]/g, '').replace(/(^|[/._-])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
        tags: op.tags,
        ...(op.auth ? { security: [{ bearer: [] }] } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(op.body ? { requestBody: { required: !op.bodyOptional, content: { 'application/json': { schema: named(op.body, 'input') } } } } : {}),
        responses,
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Cobalt REST API',
      version: '1',
      description: 'Accounts, sessions and todos over HTTP. The contract in prose is docs/API.md; GraphQL is at /graphql (schema: backend/schema.graphql), live events at /socket.io/ and over graphql-ws at /graphql.',
    },
    servers: [{ url: '/' }],
    tags: [{ name: 'auth' }, { name: 'sessions' }, { name: 'todos' }, { name: 'health' }, { name: 'meta' }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access token of a session (15 minutes)' } },
    },
  };
}

/** GET /api/openapi.json, in every environment (it says nothing the contract does not). */
export function createOpenApiRouter(): Router {
  const document = JSON.stringify(buildOpenApiDocument());
  return Router().get('/api/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
}

/** The published file's text: the document, indented, with a final newline. */
export const openApiJson = (): string => `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
