import type { ErrorBody } from '@cobalt/contract';
import { CobaltError, fromErrorBody, toCobaltError } from './errors.js';

/** `fetch` as the SDK uses it: the platform's own by default, anything with its shape in tests. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface JsonRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
  /** Bearer token for a protected route. */
  token?: string;
  /** Browser auth: the refresh token travels in an HttpOnly cookie (`X-Cobalt-Client: web`). */
  webClient?: boolean;
}

const retryAfterOf = (headers: Headers): number | undefined => {
  const raw = headers.get('retry-after');
  const seconds = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
};

/** Reads an error answer: the contract's envelope, GraphQL's `errors`, or Caddy's own plain-text 502/503/504. */
async function errorOf(response: Response): Promise<CobaltError> {
  const text = await response.text().catch(() => '');
  const retryAfterSeconds = retryAfterOf(response.headers);
  try {
    const parsed = JSON.parse(text) as { error?: ErrorBody; errors?: { message?: string; extensions?: { code?: string } }[] };
    if (parsed.error && typeof parsed.error.message === 'string') return fromErrorBody(parsed.error, response.status, retryAfterSeconds);
    // GraphQL's envelope: the first error's code, as the server sets it in `extensions`.
    const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
    if (typeof first?.extensions?.code === 'string')
      return fromErrorBody({ code: first.extensions.code as ErrorBody['code'], message: first.message ?? 'Request failed' }, response.status, retryAfterSeconds);
  } catch {
    // not JSON: a proxy answered, below
  }
  if ([502, 503, 504].includes(response.status)) return new CobaltError('UNAVAILABLE', 'Service unavailable', { status: response.status, retryAfterSeconds });
  return new CobaltError(response.status >= 500 ? 'INTERNAL' : 'BAD_RESPONSE', `Unexpected answer (HTTP ${response.status})`, { status: response.status });
}

/**
 * JSON over HTTP to one Cobalt server, and the one place its failures are normalised: a network
 * failure, an error envelope, a proxy's page and an unreadable answer all come out as `CobaltError`.
 */
export class HttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: FetchLike,
    private readonly timeoutMs = 15_000,
  ) {}

  async request<T>(path: string, request: JsonRequest = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.webClient) headers['x-cobalt-client'] = 'web';
    if (request.token) headers.authorization = `Bearer ${request.token}`;
    // AbortSignal.timeout is missing on some React Native versions; a controller is everywhere.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method: request.method ?? 'GET',
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        // The refresh cookie is scoped to /api/auth; 'include' also covers an API on another origin.
        credentials: 'include',
        signal: controller.signal,
      });
    } catch (error) {
      throw new CobaltError('NETWORK', controller.signal.aborted ? `No answer within ${this.timeoutMs} ms` : errorMessage(error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw toCobaltError(error, 'BAD_RESPONSE');
    }
  }
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : 'The server could not be reached');
