import { z } from 'zod';
import type { OpenApiPaths } from '../../../http/openapi.js';
import { authResultOutput, loginInput, refreshInput, registerInput, renameSessionInput, sessionIdParam, sessionOutput, tokenPairOutput, userOutput } from '../schemas.js';

const webClient = { schema: z.literal('web'), description: 'Browser clients: the refresh token travels in the HttpOnly cookie cobalt_refresh, never in the body' };

/** The routes of rest.ts, as the OpenAPI document describes them (http/openapi.ts). */
export const authRoutes: OpenApiPaths = {
  '/api/auth/register': {
    post: {
      summary: 'Create an account and its first session',
      tags: ['auth'],
      headers: { 'X-Cobalt-Client': webClient },
      body: registerInput,
      ok: [201, authResultOutput, 'The account, its first session and its tokens'],
      errors: [400, 409, 413, 429],
    },
  },
  '/api/auth/login': {
    post: {
      summary: 'Sign in: a new session',
      tags: ['auth'],
      headers: { 'X-Cobalt-Client': webClient },
      body: loginInput,
      ok: [200, authResultOutput, 'The new session and its tokens'],
      errors: [400, 401, 413, 429],
    },
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
    patch: {
      summary: 'Rename a session',
      tags: ['sessions'],
      auth: true,
      params: { id: sessionIdParam },
      body: renameSessionInput,
      ok: [200, sessionOutput, 'The renamed session'],
      errors: [400, 401, 404, 413, 429],
    },
    delete: {
      summary: 'Revoke a session (sign a device out)',
      tags: ['sessions'],
      auth: true,
      params: { id: sessionIdParam },
      ok: [204, null, 'Revoked'],
      errors: [400, 401, 404, 429],
    },
  },
};
