import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderPrometheusConfig } from '../../scripts/cluster/services/prometheus.mjs';
import { TOOL_VERSIONS } from '../../scripts/setup/check-tools.mjs';
import { exportedSeries, markdownAnchors, promqlProblems, readYaml, repoPath, ROOT, run, scratch, tools } from './support.js';

const scratchDir = scratch();

const CONFIGS = ['prometheus/prometheus.yml', 'prometheus/prometheus.docker.yml', 'prometheus/prometheus.kubernetes.yml'];
const RULES = 'prometheus/rules/cobalt.yml';
const RULE_TESTS = 'prometheus/tests/cobalt.test.yml';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (): Rule[] => readYaml<{ groups: { rules: Rule[] }[] }>(RULES).groups.flatMap((g) => g.rules);

// Debian's promtool (2.42, what the local cluster runs) and promtool of the Prometheus release in
// docker-compose.yml (3.5). Debian builds Prometheus without Kubernetes service discovery.
const promtools = () => [
  { name: 'promtool 2.42 (apt)', bin: tools().promtool, kubernetesSd: false },
  { name: 'promtool 3.5', bin: tools().promtool3, kubernetesSd: true },
];

describe('Prometheus configuration', () => {
  for (const { name, bin, kubernetesSd } of promtools()) {
    it(`when ${name} checks every scrape config, then each is valid and loads the rules`, () => {
      const files = CONFIGS.filter((f) => kubernetesSd || !f.includes('kubernetes'));
      const res = run(bin, ['check', 'config', ...files]);
      expect(res.code, res.output).toBe(0);
      expect(res.output).toContain('SUCCESS: 8 rules found');
    });
  }

  it('when scripts/cluster.mjs renders the local config, then every backend-N target becomes a local port and promtool accepts it', () => {
    const dir = scratchDir();
    const rendered = renderPrometheusConfig([13001, 13002, 13003], ROOT);
    writeFileSync(join(dir, 'prometheus.yml'), rendered);
    expect(rendered).not.toMatch(/backend-\d+:3000/);
    for (const port of [13001, 13002, 13003]) expect(rendered).toContain(`'127.0.0.1:${port}'`);
    const res = run(tools().promtool, ['check', 'config', join(dir, 'prometheus.yml')]);
    expect(res.code, res.output).toBe(0);
  });

  it('when the configs are compared, then all use the same job name, metrics path and intervals', () => {
    const configs = CONFIGS.map((f) => readYaml(f));
    for (const config of configs) {
      expect(config.global).toEqual(configs[0].global);
      expect(config.rule_files).toEqual(['rules/*.yml']);
      const job = config.scrape_configs.find((j: any) => j.job_name === 'cobalt-backend');
      expect(job?.metrics_path).toBe('/metrics');
    }
    const docker = configs[1].scrape_configs.find((j: any) => j.job_name === 'cobalt-backend');
    // The compose `backend` service is scaled: its replicas are the A records of its name.
    expect(docker.dns_sd_configs).toEqual([expect.objectContaining({ names: ['backend'], type: 'A', port: 3000 })]);
  });
});

describe('alert rules', () => {
  for (const { name, bin } of promtools()) {
    it(`when ${name} checks and unit-tests the rules, then both pass`, () => {
      const check = run(bin, ['check', 'rules', RULES]);
      expect(check.code, check.output).toBe(0);
      const test = run(bin, ['test', 'rules', RULE_TESTS]);
      expect(test.code, test.output).toBe(0);
      expect(test.output).toContain('SUCCESS');
    });
  }

  it('when listed, then every alert the issue asks for exists', () => {
    const byMetric = (metric: string) => rules().some((r) => r.alert && r.expr.includes(metric));
    expect(byMetric('up{job="cobalt-backend"} == 0')).toBe(true); // instance down
    expect(byMetric('status_code=~"5.."')).toBe(true); // 5xx ratio
    expect(rules().some((r) => r.alert && /histogram_quantile\(0\.99/.test(r.expr))).toBe(true); // p99 latency
    expect(byMetric('nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(byMetric('cobalt_sockets_connected')).toBe(true);
    expect(byMetric('cobalt_realtime_adapter_errors_total')).toBe(true);
  });

  it('when each alert is checked, then it has a severity, a summary, a description and a runbook section that exists', () => {
    const anchors = markdownAnchors('docs/OPERATIONS.md');
    for (const rule of rules().filter((r) => r.alert)) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const [file, anchor] = (rule.annotations?.runbook ?? '').split('#');
      expect(file, rule.alert).toBe('docs/OPERATIONS.md');
      expect(anchors.has(anchor!), `${rule.alert}: no heading #${anchor} in docs/OPERATIONS.md`).toBe(true);
    }
  });

  it('when the unit tests are listed, then every alert is tested both firing and quiet', () => {
    const tests = readYaml<{ tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] }>(RULE_TESTS).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const rule of rules().filter((r) => r.alert)) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${rule.alert} never fires in a test`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${rule.alert} is never shown quiet in a test`,
      ).toBe(true);
    }
  });

  it('when the expressions are read, then they use only metrics and labels the backend exports', () => {
    const series = exportedSeries();
    const problems = rules().flatMap((r) => promqlProblems(r.expr, series).map((p) => `${r.alert ?? r.record}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('when the name check itself is given a wrong metric or label, then it reports them', () => {
    expect(promqlProblems('sum by (route) (rate(cobalt_http_requests_total[5m]))')).toEqual([
      'metric cobalt_http_requests_total is not exported by the backend',
      'label route is not a label of cobalt_http_requests_total',
    ]);
    expect(promqlProblems('sum by (route) (cobalt_sockets_connected)')).toEqual(['label route is not a label of cobalt_sockets_connected']);
    expect(promqlProblems('histogram_quantile(0.99, sum by (le) (rate(cobalt_http_request_duration_seconds_bucket{status_code=~"5.."}[5m]))) > 1')).toEqual([]);
  });

  it('when the compose Prometheus image is compared with the promtool that checks it, then they are the same release', () => {
    const image: string = readYaml('docker-compose.yml').services.prometheus.image;
    const [, minor, patch] = /^prom\/prometheus:v3\.(\d+)\.(\d+)$/.exec(image)!;
    // Prometheus 3.M.P is published to the Go module proxy as v0.3MM.P.
    expect(TOOL_VERSIONS.promtool3).toBe(`v0.3${minor!.padStart(2, '0')}.${patch}`);
  });

  it('when docker-compose.yml mounts the Prometheus files, then the config and rules it mounts are these', () => {
    const compose = readYaml('docker-compose.yml');
    const volumes: string[] = compose.services.prometheus.volumes;
    expect(volumes).toContain('./prometheus/prometheus.docker.yml:/etc/prometheus/prometheus.yml:ro');
    expect(volumes).toContain('./prometheus/rules:/etc/prometheus/rules:ro');
    const tmp = scratchDir();
    cpSync(repoPath('prometheus', 'prometheus.docker.yml'), join(tmp, 'prometheus.yml'));
    cpSync(repoPath('prometheus', 'rules'), join(tmp, 'rules'), { recursive: true });
    const res = run(tools().promtool3, ['check', 'config', join(tmp, 'prometheus.yml')]);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toContain('SUCCESS: 8 rules found');
  });
});
