import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../src/lib/logger.js';
import { ownClientAddress } from '../support/client-address.js';
import { apiClient, type ApiClient } from '../support/http.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/** Sum of a counter's samples whose labels match every given one, from a Prometheus text page. */
function sample(metrics: string, name: string, labels: Record<string, string | RegExp>): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    const match = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => (typeof v === 'string' ? found[k] === v : v.test(found[k] ?? '')))) total += Number(match[2]);
  }
  return total;
}

/**
 * Persisted-query probing (issue 13, finding 7): Cobalt has no persisted queries, so asking for
 * one is the client's mistake. It answers 400 VALIDATION_FAILED, is never logged as an error nor
 * counted as a 5xx (what the error-rate alert reads), and anonymous callers are rate limited.
 */
describe('persisted-query probing', () => {
  let server: RunningServer;
  let api: ApiClient;
  const errorsLogged = vi.spyOn(logger, 'error');
  beforeAll(async () => {
    server = await startTestServer({ INSTANCE_ID: 'apq-probe', API_RATE_LIMIT_PER_MINUTE: '6' });
    api = apiClient(server.url);
  });
  afterAll(() => server?.stop());

  // Each case comes from an address of its own, so the anonymous limit of one case (or of an
  // earlier run) does not spill into another.
  const from = () => ({ 'x-forwarded-for': ownClientAddress() });
  const hash = '0'.repeat(64);
  const probes: [string, () => Promise<{ status: number; body: any }>][] = [
    ['an unknown hash', () => api.request('POST', '/graphql', { body: { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, headers: from() })],
    [
      'a hash that does not match the query',
      () => api.request('POST', '/graphql', { body: { query: '{ me { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, headers: from() }),
    ],
    [
      'an unknown hash over GET',
      () =>
        api.request('GET', `/graphql?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }))}`, {
          headers: { ...from(), 'apollo-require-preflight': 'true' },
        }),
    ],
  ];

  it.each(probes)('when an anonymous client asks for a persisted query by %s, then it is a 400 client error, logged and counted as none', async (_label, send) => {
    errorsLogged.mockClear();
    const before = await api.get('/metrics');
    const res = await send();
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Persisted queries are not supported: send the query text', extensions: { code: 'VALIDATION_FAILED' } }]);
    expect(res.body.data).toBeUndefined();
    const after = (await api.get('/metrics')).body as string;
    expect(sample(after, 'cobalt_http_request_duration_seconds_count', { route: '/graphql', status_code: /^5/ })).toBe(0);
    expect(sample(after, 'cobalt_security_events_total', { type: 'graphql_rejected' })).toBe(sample(before.body, 'cobalt_security_events_total', { type: 'graphql_rejected' }) + 1);
    expect(errorsLogged).not.toHaveBeenCalled();
  });

  it('when one anonymous address keeps probing, then it is rate limited with RATE_LIMITED and Retry-After', async () => {
    const headers = from();
    const body = { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await api.request('POST', '/graphql', { body, headers }));
    expect(answers.slice(0, 6).map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400]);
    for (const limited of answers.slice(6)) {
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(limited.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    }
    // Another address is not affected.
    expect((await api.request('POST', '/graphql', { body, headers: { 'x-forwarded-for': '198.51.100.201' } })).status).toBe(400);
  });
});
