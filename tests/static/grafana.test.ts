import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportedSeries, promqlNames, promqlProblems, readRepoFile, readYaml, run, scratch, tools } from './support.js';

const scratchDir = scratch();

const DASHBOARD = 'grafana/dashboards/cobalt-overview.json';

interface Target {
  expr: string;
  refId: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
}

const dashboard = () => JSON.parse(readRepoFile(DASHBOARD));
const panels = (): Panel[] => dashboard().panels;
const queryPanels = () => panels().filter((p) => p.type !== 'row');
const exprs = () => queryPanels().flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** A dashboard query with Grafana's variables replaced by what Grafana would send. */
const asPromQL = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance_id', '.*');

describe('Grafana dashboard', () => {
  it('when parsed, then it is a provisionable dashboard with a stable uid and unique panel ids', () => {
    const d = dashboard();
    expect(d.uid).toBe('cobalt-overview');
    expect(d.title).toBeTruthy();
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = panels().map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels()) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('when the panels are listed, then everything the issue asks for is on it', () => {
    const all = exprs().map((e) => e.expr);
    const has = (pattern: RegExp) => all.some((e) => pattern.test(e));
    // Requests, errors and latency per instance and per route.
    expect(has(/sum by \(instance_id\) \(rate\(cobalt_http_request_duration_seconds_count/)).toBe(true);
    expect(has(/sum by \(method, route\) \(rate\(cobalt_http_request_duration_seconds_count/)).toBe(true);
    expect(has(/sum by \(instance_id\) \(rate\(cobalt_http_request_duration_seconds_count\{[^}]*status_code=~"5\.\."/)).toBe(true);
    expect(has(/sum by \(route, status_code\)/)).toBe(true);
    expect(has(/histogram_quantile\(0\.99, sum by \(le, instance_id\)/)).toBe(true);
    expect(has(/histogram_quantile\(0\.99, sum by \(le, route\)/)).toBe(true);
    // Sockets per instance, broadcasts, event loop, memory, rate limits, security events.
    expect(has(/sum by \(instance_id\) \(cobalt_sockets_connected/)).toBe(true);
    expect(has(/cobalt_realtime_broadcasts_total/)).toBe(true);
    expect(has(/nodejs_eventloop_lag_p99_seconds/)).toBe(true);
    expect(has(/process_resident_memory_bytes/)).toBe(true);
    expect(has(/cobalt_security_events_total\{[^}]*type="rate_limited"/)).toBe(true);
    expect(has(/sum by \(type\) \(rate\(cobalt_security_events_total/)).toBe(true);
    // GraphQL subscriptions: how many run, and the events they are sent.
    expect(has(/sum by \(instance_id, root_field\) \(cobalt_graphql_subscriptions_active/)).toBe(true);
    expect(has(/rate\(cobalt_graphql_subscription_events_total/)).toBe(true);
  });

  it('when every query is read, then it names only metrics and labels the backend exports', () => {
    const series = exportedSeries();
    const problems = exprs().flatMap(({ panel, expr }) => promqlProblems(asPromQL(expr), series).map((p) => `${panel}: ${p}`));
    expect(problems).toEqual([]);
    const templated = dashboard().templating.list.filter((v: any) => v.type === 'query');
    for (const v of templated) {
      const metric = /label_values\(([^,{]+)/.exec(v.definition)![1]!;
      expect(series.has(metric), v.definition).toBe(true);
      expect(series.get(metric)!.labels.has(v.name), v.definition).toBe(true);
    }
  });

  it('when every query is given to promtool as a recording rule, then Prometheus parses all of them', () => {
    const rules = exprs().map(({ expr }, i) => ({ record: `dashboard:query_${i}`, expr: asPromQL(expr) }));
    const dir = scratchDir();
    // JSON is YAML: no serializer needed.
    writeFileSync(join(dir, 'dashboard-queries.yml'), JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
    for (const bin of [tools().promtool, tools().promtool3]) {
      const res = run(bin, ['check', 'rules', join(dir, 'dashboard-queries.yml')]);
      expect(res.code, res.output).toBe(0);
      expect(res.output).toContain(`SUCCESS: ${rules.length} rules found`);
    }
  });

  it('when each query panel is checked, then it uses the dashboard datasource and has at least one query', () => {
    for (const p of queryPanels()) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(promqlNames(asPromQL(t.expr)).metrics.size, p.title).toBeGreaterThan(0);
    }
  });
});

describe('Grafana provisioning', () => {
  it('when provisioned, then the Prometheus datasource points at the compose service and dashboards load from the mounted folder', () => {
    const ds = readYaml('grafana/provisioning/datasources/prometheus.yml');
    expect(ds.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true, uid: 'cobalt-prometheus' })]);
    const providers = readYaml('grafana/provisioning/dashboards/cobalt.yml').providers;
    const compose = readYaml('docker-compose.yml');
    const mounts: string[] = compose.services.grafana.volumes;
    expect(mounts).toContain(`./grafana/dashboards:${providers[0].options.path}:ro`);
    expect(mounts).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(compose.services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${providers[0].options.path}/cobalt-overview.json`);
  });
});
