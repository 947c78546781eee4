import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaSdl } from '../../src/app/graphql-schema.js';
import { openApiJson } from '../../src/app/openapi-document.js';

const published = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('published contracts', () => {
  it('when the GraphQL schema in the code changes, then backend/schema.graphql must be regenerated (npm run schema -w backend)', () => {
    expect(published('schema.graphql')).toBe(schemaSdl());
  });

  it('when a route schema changes, then backend/openapi.json must be regenerated (npm run openapi -w backend)', () => {
    expect(published('openapi.json')).toBe(openApiJson());
  });

  it('when the OpenAPI document is read, then it is OpenAPI 3.1 and names every REST route of the contract', () => {
    const document = JSON.parse(openApiJson()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'POST /api/auth/register',
        'POST /api/auth/login',
        'POST /api/auth/refresh',
        'POST /api/auth/logout',
        'GET /api/me',
        'GET /api/sessions',
        'PATCH /api/sessions/{id}',
        'DELETE /api/sessions/{id}',
        'GET /api/todos',
        'POST /api/todos',
        'GET /api/todos/{id}',
        'PATCH /api/todos/{id}',
        'DELETE /api/todos/{id}',
        'GET /health/live',
        'GET /health/accepting',
        'GET /health/ready',
        'GET /api/openapi.json',
      ].sort(),
    );
  });
});
