import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, inject } from 'vitest';
import { createMetrics } from '../../backend/src/lib/metrics.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoPath = (...parts: string[]) => join(ROOT, ...parts);
export const readRepoFile = (...parts: string[]) => readFileSync(repoPath(...parts), 'utf8');

export interface CheckTools {
  dir: string;
  caddy: string;
  promtool: string;
  promtool3: string;
  kubeconform: string;
  kustomize: string;
  dockerCompose: string;
  hadolint: string;
  python: string;
  pythonPath: string;
  kubernetesSchemaLocation: string;
  kubernetesVersions: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    checkTools: CheckTools;
  }
}

export const tools = (): CheckTools => inject('checkTools');

/**
 * A scratch directory for the calling test file, removed after its tests. Returns a function
 * that makes a fresh subdirectory in it.
 */
export function scratch(): (prefix?: string) => string {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cobalt-static-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (prefix = 'x-') => mkdtempSync(join(dir, prefix));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

/** Runs a tool; never throws on a non-zero exit (the caller asserts, and sees the output). */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  const res = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, input: opts.input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw res.error;
  const stdout = res.stdout ?? '';
  const stderr = res.stderr ?? '';
  return { code: res.status ?? 1, stdout, stderr, output: `${stdout}${stderr}` };
}

const yamlCache = new Map<string, unknown[][]>();

/** Every YAML document of each file, parsed by PyYAML (installed with the check tools). */
export function readYamlDocuments(...files: string[]): unknown[][] {
  const key = files.join('\0');
  const cached = yamlCache.get(key);
  if (cached) return structuredClone(cached);
  const t = tools();
  const script = 'import json, sys, yaml\nprint(json.dumps([list(yaml.safe_load_all(open(p, encoding="utf-8"))) for p in sys.argv[1:]], default=str))';
  const res = run(t.python, ['-c', script, ...files.map((f) => resolve(ROOT, f))], { env: { ...process.env, PYTHONPATH: t.pythonPath } });
  if (res.code !== 0) throw new Error(`YAML parse failed:\n${res.output}`);
  const docs = JSON.parse(res.stdout) as unknown[][];
  yamlCache.set(key, docs);
  return structuredClone(docs);
}

export const readYaml = <T = any>(file: string): T => readYamlDocuments(file)[0]![0] as T;

/** Every env var the backend reads: the keys of the zod schema in backend/src/config.ts. */
export function backendConfigKeys(): Set<string> {
  const source = readRepoFile('backend', 'src', 'config.ts');
  const start = source.indexOf('const envSchema = z.object({');
  const end = source.indexOf('\n});', start);
  if (start < 0 || end < 0) throw new Error('envSchema not found in backend/src/config.ts');
  const keys = [...source.slice(start, end).matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
  if (keys.length < 10) throw new Error(`only ${keys.length} keys parsed from envSchema`);
  return new Set(keys);
}

export interface MetricInfo {
  type: string;
  labels: Set<string>;
}

/**
 * The series names a backend really exports, from its own metrics registry (Cobalt metrics and
 * prom-client's default Node.js metrics), histograms expanded into _bucket/_sum/_count.
 * `instance_id` is a default label of all of them; Prometheus adds `job` and `instance`, and
 * `up` per target.
 */
export function exportedSeries(): Map<string, MetricInfo> {
  const { registry } = createMetrics('static-check');
  const series = new Map<string, MetricInfo>();
  const scrapeLabels = ['job', 'instance', 'instance_id'];
  for (const metric of registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames?: string[] }[]) {
    const labels = new Set([...scrapeLabels, ...(metric.labelNames ?? [])]);
    const type = String(metric.type);
    if (type === 'histogram') {
      series.set(`${metric.name}_bucket`, { type, labels: new Set([...labels, 'le']) });
      series.set(`${metric.name}_sum`, { type, labels });
      series.set(`${metric.name}_count`, { type, labels });
    } else if (type === 'summary') {
      series.set(metric.name, { type, labels: new Set([...labels, 'quantile']) });
      series.set(`${metric.name}_sum`, { type, labels });
      series.set(`${metric.name}_count`, { type, labels });
    } else series.set(metric.name, { type, labels });
  }
  series.set('up', { type: 'gauge', labels: new Set(scrapeLabels.filter((l) => l !== 'instance_id')) });
  return series;
}

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan', 'atan2']);

/**
 * Metric names and label names used by a PromQL expression. A lexical scan (no PromQL parser is
 * available to Node here; promtool has already checked the syntax): strings, matchers, ranges and
 * label lists are cut out, what remains that is not a function, keyword or number is a metric.
 */
export function promqlNames(expr: string): { metrics: Set<string>; labels: Set<string> } {
  const labels = new Set<string>();
  let rest = expr.replace(/\$\{?[A-Za-z_]\w*\}?/g, '5m').replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_, body: string) => {
    for (const m of body.matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.add(m[1]!);
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw: string, list: string) => {
    for (const l of list
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      labels.add(l);
    return ' ';
  });
  rest = rest.replace(/\boffset\s+\S+/g, ' ');
  const metrics = new Set<string>();
  for (const m of rest.matchAll(/[A-Za-z_:][\w:]*(?=\s*(\()?)/g)) {
    const name = m[0];
    if (m[1] || PROMQL_KEYWORDS.has(name.toLowerCase())) continue; // a function call or keyword
    const before = rest[m.index - 1];
    if (before && /[\w.]/.test(before)) continue; // the unit of a number or duration (5m, 1e3)
    metrics.add(name);
  }
  return { metrics, labels };
}

/**
 * Problems with the names in `expr`: metrics the backend does not export, labels none of the
 * expression's metrics carry.
 */
export function promqlProblems(expr: string, series = exportedSeries()): string[] {
  const { metrics, labels } = promqlNames(expr);
  const problems: string[] = [];
  if (metrics.size === 0) problems.push(`no metric found in: ${expr}`);
  const known = new Set<string>();
  for (const m of metrics) {
    const info = series.get(m);
    if (!info) problems.push(`metric ${m} is not exported by the backend`);
    else for (const l of info.labels) known.add(l);
  }
  for (const l of labels) if (!known.has(l)) problems.push(`label ${l} is not a label of ${[...metrics].join(', ')}`);
  return problems;
}

/** GitHub's anchor of a Markdown heading. */
export const headingAnchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

export function markdownAnchors(file: string): Set<string> {
  return new Set([...readRepoFile(file).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => headingAnchor(m[1]!)));
}
