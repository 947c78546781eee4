import { requestJson, type JsonRequest } from './http';
import { session } from './session';

/** REST calls made as the signed-in user: the access token is attached and renewed on 401. */
export const api = {
  get: <T>(path: string, request: Omit<JsonRequest, 'method' | 'body'> = {}) => requestJson<T>(path, { ...request, method: 'GET' }, session.authorizedFetch),
  post: <T>(path: string, body?: unknown, request: Omit<JsonRequest, 'method' | 'body'> = {}) =>
    requestJson<T>(path, { ...request, method: 'POST', body }, session.authorizedFetch),
  delete: <T = void>(path: string, request: Omit<JsonRequest, 'method' | 'body'> = {}) => requestJson<T>(path, { ...request, method: 'DELETE' }, session.authorizedFetch),
};
