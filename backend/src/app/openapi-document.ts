import { authRoutes } from '../components/auth/entry-points/openapi.js';
import { healthRoutes } from '../components/health/entry-points/openapi.js';
import { todoRoutes } from '../components/todos/entry-points/openapi.js';
import { buildOpenApiDocument } from '../http/openapi.js';

/** The REST API's OpenAPI document: every component's routes, in the order the document lists them. */
export const buildApiDocument = (): Record<string, unknown> => buildOpenApiDocument({ ...authRoutes, ...todoRoutes, ...healthRoutes });

/** The published file's text (backend/openapi.json): the document, indented, with a final newline. */
export const openApiJson = (): string => `${JSON.stringify(buildApiDocument(), null, 2)}\n`;
