import { env } from '../config/env';
import { fromResponse, toApiError } from './api-error';

export type Fetcher = (input: string, init: RequestInit) => Promise<Response>;

/** Absolute or same-origin URL of a server path. */
export const apiUrl = (path: string): string => `${env.VITE_API_URL}${path}`;

export interface JsonRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Browser auth: the refresh token travels in an HttpOnly cookie instead of the JSON body. */
  webClient?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * One JSON request and the one place its failures are normalised: a network failure, an error
 * envelope and an unreadable answer all come out as `ApiError`.
 */
export async function requestJson<T>(path: string, request: JsonRequest = {}, fetcher: Fetcher = (input, init) => fetch(input, init)): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.webClient) headers['x-cobalt-client'] = 'web';
  let response: Response;
  try {
    response = await fetcher(apiUrl(path), {
      method: request.method ?? 'GET',
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      // The refresh cookie is scoped to /api/auth; 'include' also covers a separate API origin.
      credentials: 'include',
      signal: request.signal,
    });
  } catch (error) {
    throw toApiError(error);
  }
  if (!response.ok) throw await fromResponse(response);
  if (response.status === 204) return undefined as T;
  try {
    return (await response.json()) as T;
  } catch (error) {
    throw toApiError(error);
  }
}
