import { z } from 'zod';
import type { OpenApiPaths } from '../../../http/openapi.js';

const healthBody = z.strictObject({ status: z.enum(['ok', 'draining']), instance: z.string() }).meta({ id: 'Health' });
const readinessBody = z
  .strictObject({
    status: z.enum(['ok', 'unavailable']),
    instance: z.string(),
    checks: z.record(z.enum(['postgres', 'mongodb', 'redis', 'accepting']), z.enum(['up', 'down'])),
  })
  .meta({ id: 'Readiness' });

/** The routes of rest.ts, as the OpenAPI document describes them (http/openapi.ts). */
export const healthRoutes: OpenApiPaths = {
  '/health/live': { get: { summary: 'Liveness: the process runs', tags: ['health'], ok: [200, healthBody, 'Alive'], errors: [] } },
  '/health/accepting': {
    get: { summary: 'Whether the instance takes new work (503 while draining)', tags: ['health'], ok: [200, healthBody, 'Accepting'], errors: [], probe: true },
  },
  '/health/ready': {
    get: { summary: 'Readiness: every store reachable and accepting (503 otherwise, same body)', tags: ['health'], ok: [200, readinessBody, 'Ready'], errors: [], probe: true },
  },
};
