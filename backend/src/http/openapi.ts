import { ERROR_CODES } from '@cobalt/contract';
import { Router } from 'express';
import { z } from 'zod';

/**
 * The OpenAPI 3.1 description of the REST API, built from the zod schemas the routes validate
 * with (request side) and the shapes they answer (response side): nothing here is a hand-written
 * copy of a rule. Each component describes its own routes (entry-points/openapi.ts); the
 * composition root puts them together (app/openapi-document.ts). Published at
 * GET /api/openapi.json and as backend/openapi.json (`npm run openapi -w backend`; a unit test
 * fails when the file and the code differ).
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

type Schema = z.ZodType;
/** One route, as the document describes it. */
export interface OpenApiOperation {
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
  /** A readiness probe: answers 503 with its success body when the instance is not ready. */
  probe?: boolean;
}

/** Routes by path, then by method. */
export type OpenApiPaths = Record<string, Record<string, OpenApiOperation>>;

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

/** The document's own route. */
const meta: OpenApiPaths = {
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

export function buildOpenApiDocument(routes: OpenApiPaths): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  const named = (schema: Schema, io: 'input' | 'output') => {
    const id = z.globalRegistry.get(schema)?.id;
    if (!id) return jsonSchema(schema, io, schemas);
    // zod lists a schema with an id among its definitions and refers to it from the root.
    const { id: _id, ...definition } = jsonSchema(schema, io, schemas);
    if (definition.$ref !== `#/components/schemas/${id}`) schemas[id] = definition;
    return { $ref: `#/components/schemas/${id}` };
  };
  const errorRef = named(errorBody, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const [path, operations] of Object.entries({ ...routes, ...meta })) {
    paths[path] = {};
    for (const [method, op] of Object.entries(operations)) {
      const parameters: unknown[] = [];
      for (const [name, schema] of Object.entries(op.params ?? {})) parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input', schemas) });
      if (op.query) {
        const query = jsonSchema(op.query, 'input', schemas) as { properties: Record<string, unknown>; required?: string[] };
        for (const [name, schema] of Object.entries(query.properties)) parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
      }
      for (const [name, header] of Object.entries(op.headers ?? {}))
        parameters.push({ name, in: 'header', required: false, description: header.description, schema: jsonSchema(header.schema, 'input', schemas) });
      const [okStatus, okSchema, okText] = op.ok;
      const responses: Record<string, unknown> = {
        [okStatus]: okSchema ? { description: okText, content: { 'application/json': { schema: named(okSchema, 'output') } } } : { description: okText },
      };
      if (op.probe && okSchema) {
        responses['503'] = { description: 'Not ready or draining (a probe result, not an error envelope)', content: { 'application/json': { schema: named(okSchema, 'output') } } };
      }
      const statuses = [...new Set([...op.errors, ...(path.startsWith('/api/') && path !== '/api/openapi.json' ? common : [])])].sort();
      for (const status of statuses) {
        responses[status] = {
          description: ERROR_TEXT[status],
          ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
          content: { 'application/json': { schema: errorRef } },
        };
      }
      for (const tag of op.tags) tags.add(tag);
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
      description:
        'Accounts, sessions and todos over HTTP. The contract in prose is docs/API.md; GraphQL is at /graphql (schema: backend/schema.graphql), live events at /socket.io/ and over graphql-ws at /graphql.',
    },
    servers: [{ url: '/' }],
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access token of a session (15 minutes)' } },
    },
  };
}

/** GET /api/openapi.json, in every environment (it says nothing the contract does not). */
export function createOpenApiRouter(document: Record<string, unknown>): Router {
  const json = JSON.stringify(document);
  return Router().get('/api/openapi.json', (_req, res) => {
    res.type('application/json').send(json);
  });
}
