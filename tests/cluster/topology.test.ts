import { describe, expect, it } from 'vitest';
import { apiClient } from '../../backend/test/support/http.js';
import { sleep } from '../../backend/test/support/sockets.js';
import { cluster } from './cluster-env.js';

describe('the cluster behind Caddy', () => {
  it('when many requests go through Caddy, then all three instances answer', async () => {
    const api = apiClient(cluster.publicUrl);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const res = await api.get('/health/live');
      expect(res.status).toBe(200);
      seen.add(res.body.instance);
      expect(res.headers.get('x-instance-id')).toBe(res.body.instance);
    }
    expect([...seen].sort()).toEqual(['backend-1', 'backend-2', 'backend-3']);
  });

  it('when readiness is asked through Caddy, then it answers 200 with every check up', async () => {
    const res = await apiClient(cluster.publicUrl).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', checks: { postgres: 'up', mongodb: 'up', redis: 'up' } });
  });

  it('when /metrics is asked through Caddy, then it is not there; on each backend it is', async () => {
    const viaCaddy = await fetch(new URL('/metrics', cluster.publicUrl));
    expect(viaCaddy.status).toBe(404);
    expect(await viaCaddy.text()).not.toContain('process_cpu');
    for (const url of cluster.backendUrls) {
      const direct = await fetch(new URL('/metrics', url));
      expect(direct.status).toBe(200);
      expect(await direct.text()).toContain('cobalt_http_request_duration_seconds');
    }
  });

  it('when the root page is asked through Caddy, then the web app is served', async () => {
    const res = await fetch(new URL('/', cluster.publicUrl));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toMatch(/<div id="root">/);
  });

  it('when Prometheus scrapes, then all three backends report up == 1', async () => {
    let results: { metric: { instance?: string }; value: [number, string] }[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(new URL(`/api/v1/query?query=${encodeURIComponent('up{job="cobalt-backend"}')}`, cluster.prometheusUrl));
      results = (await res.json()).data.result;
      if (results.length === 3 && results.every((r) => r.value[1] === '1')) break;
      await sleep(500);
    }
    expect(results).toHaveLength(3);
    expect(results.map((r) => r.value[1])).toEqual(['1', '1', '1']);
  });
});

describe('alerting in the local cluster', () => {
  it('when Prometheus runs, then it has loaded the alert rules and no backend-down alert fires', async () => {
    let groups: { name: string; rules: { name: string; state: string }[] }[] = [];
    for (let i = 0; i < 20 && groups.length === 0; i++) {
      const res = await fetch(new URL('/api/v1/rules?type=alert', cluster.prometheusUrl));
      groups = (await res.json()).data.groups;
      if (groups.length === 0) await sleep(500);
    }
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name)).toEqual(expect.arrayContaining(['CobaltInstanceDown', 'CobaltNoBackendUp', 'CobaltHigh5xxRatio']));
    const firing = rules.filter((r) => r.state === 'firing').map((r) => r.name);
    expect(firing).not.toContain('CobaltInstanceDown');
    expect(firing).not.toContain('CobaltNoBackendUp');
  });
});
