import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../backend/src/config.js';
import { backendConfigKeys, readYaml, readYamlDocuments, run, scratch, tools } from './support.js';

const scratchDir = scratch();

type Json = any;
const DIR = 'deploy/kubernetes';
let rendered = '';
let renderedFile = '';
let objects: Json[] = [];

const find = (kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not in the kustomize output`);
  return found;
};
const podSpecs = () => objects.filter((o) => o.kind === 'Deployment').map((d) => ({ name: d.metadata.name, spec: d.spec.template.spec }));

beforeAll(() => {
  const res = run(tools().kustomize, ['build', DIR]);
  expect(res.code, res.output).toBe(0);
  rendered = res.stdout;
  renderedFile = join(scratchDir(), 'rendered.yaml');
  writeFileSync(renderedFile, rendered);
  objects = readYamlDocuments(renderedFile)[0]!.filter(Boolean) as Json[];
});

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it('when kustomize renders them and kubeconform validates them strictly against each Kubernetes version, then every object is valid', () => {
    const t = tools();
    for (const version of t.kubernetesVersions) {
      const res = run(t.kubeconform, [
        '-strict',
        '-summary',
        '-kubernetes-version',
        version,
        '-schema-location',
        t.kubernetesSchemaLocation,
        renderedFile,
        `${DIR}/secret.example.yaml`,
      ]);
      expect(res.code, `Kubernetes ${version}:\n${res.output}`).toBe(0);
      expect(res.output).toMatch(new RegExp(`${objects.length + 1} resources found in \\d+ files? - Valid: ${objects.length + 1}, Invalid: 0, Errors: 0, Skipped: 0`));
    }
  });

  it('when kubeconform is given a manifest with a misspelled field, then it rejects it (the schemas are really applied)', () => {
    const t = tools();
    const broken = rendered.replace('periodSeconds: 5', 'periodSecond: 5');
    const res = run(t.kubeconform, ['-strict', '-kubernetes-version', t.kubernetesVersions[0]!, '-schema-location', t.kubernetesSchemaLocation, '-'], { input: broken });
    expect(res.code).not.toBe(0);
    expect(res.output).toContain("additional properties 'periodSecond' not allowed");
  });

  it('when rendered, then everything lands in the cobalt namespace with the images set by kustomize', () => {
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('cobalt');
    const images = podSpecs().flatMap((p) => [...(p.spec.initContainers ?? []), ...p.spec.containers].map((c: Json) => c.image));
    expect(images).toContain('registry.example.com/cobalt/backend:0.1.0');
    expect(images).toContain('registry.example.com/cobalt/web:0.1.0');
    expect(images.filter((i: string) => i === 'cobalt-backend' || i === 'cobalt-web')).toEqual([]);
  });

  it('when the backend is rolled or drained, then probes, preStop and the grace period let it finish its shutdown', () => {
    const deployment = find('Deployment', 'cobalt-backend');
    const pod = deployment.spec.template.spec;
    const backend = pod.containers.find((c: Json) => c.name === 'backend');
    expect(backend.readinessProbe.httpGet.path).toBe('/health/accepting');
    expect(backend.livenessProbe.httpGet.path).toBe('/health/live');
    expect(backend.startupProbe.httpGet.path).toBe('/health/live');
    const preStop: string[] = backend.lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe('sleep');
    const config = find('ConfigMap', 'cobalt-backend').data;
    const budgetSeconds = Number(preStop[1]) + Number(config.SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(budgetSeconds + 5);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(backend.ports).toEqual([{ name: 'http', containerPort: Number(config.PORT) }]);
    expect(backend.env).toContainEqual({ name: 'INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  });

  it('when pods start, then the migrate init container applies migrations first and the server does not repeat it', () => {
    const pod = find('Deployment', 'cobalt-backend').spec.template.spec;
    expect(pod.initContainers.map((c: Json) => c.command)).toEqual([['node', 'dist/migrate-cli.js']]);
    expect(pod.initContainers[0].envFrom).toEqual(pod.containers[0].envFrom);
    expect(find('ConfigMap', 'cobalt-backend').data.MIGRATE_ON_START).toBe('false');
  });

  it('when scaled, then the autoscaler owns the replica count (3 or more) and a disruption budget keeps all but one pod', () => {
    const deployment = find('Deployment', 'cobalt-backend');
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = find('HorizontalPodAutoscaler', 'cobalt-backend');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'cobalt-backend' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(3);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    const pdb = find('PodDisruptionBudget', 'cobalt-backend');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('when traffic arrives, then Socket.IO is sticky by cookie, the API goes to the backends, and /metrics is not routed to them', () => {
    const realtime = find('Ingress', 'cobalt-realtime');
    expect(realtime.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/affinity-mode': 'persistent',
      'nginx.ingress.kubernetes.io/session-cookie-name': 'cobalt_lb',
    });
    expect(Number(realtime.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(60);
    const paths = (ing: Json) => ing.spec.rules.flatMap((r: Json) => r.http.paths.map((p: Json) => [p.path, p.backend.service.name]));
    expect(paths(realtime)).toEqual([['/socket.io', 'cobalt-backend']]);
    const main = paths(find('Ingress', 'cobalt'));
    expect(
      main
        .filter(([, svc]: string[]) => svc === 'cobalt-backend')
        .map(([p]: string[]) => p)
        .sort(),
    ).toEqual(['/api', '/graphql', '/health']);
    expect(main).toContainEqual(['/', 'cobalt-web']);
    expect(find('Ingress', 'cobalt').metadata.annotations?.['nginx.ingress.kubernetes.io/affinity']).toBeUndefined();
  });

  it('when a Service selects pods, then the selector matches a Deployment and the target port is named on it', () => {
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && Object.entries(svc.spec.selector).every(([k, v]) => o.spec.template.metadata.labels[k] === v));
      expect(deployment, svc.metadata.name).toBeDefined();
      const portNames = deployment.spec.template.spec.containers.flatMap((c: Json) => c.ports.map((p: Json) => p.name));
      for (const port of svc.spec.ports) expect(portNames, svc.metadata.name).toContain(port.targetPort);
    }
  });

  it('when pods are admitted to the namespace, then they satisfy the restricted Pod Security Standard it enforces', () => {
    expect(find('Namespace', 'cobalt').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const { name, spec } of podSpecs()) {
      expect(spec.securityContext.runAsNonRoot, name).toBe(true);
      expect(spec.securityContext.runAsUser, name).toBeGreaterThan(0);
      expect(spec.securityContext.seccompProfile.type, name).toBe('RuntimeDefault');
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(c.securityContext, `${name}/${c.name}`).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(c.resources?.limits?.memory, `${name}/${c.name}`).toBeTruthy();
      }
    }
  });

  it('when the backend reads its ConfigMap and Secret, then every name exists in backend/src/config.ts and the example secret cannot start it', () => {
    const keys = backendConfigKeys();
    const config = find('ConfigMap', 'cobalt-backend').data as Record<string, string>;
    for (const name of Object.keys(config)) expect(keys.has(name), name).toBe(true);
    const secret = readYaml(`${DIR}/secret.example.yaml`).stringData as Record<string, string>;
    // REDIS_PASSWORD is for the Redis pod; the backend reads it inside REDIS_URL.
    for (const name of Object.keys(secret).filter((n) => n !== 'REDIS_PASSWORD')) expect(keys.has(name), name).toBe(true);
    expect(secret.JWT_SECRET!.length).toBeLessThan(32);
    expect(() => loadConfig({ ...config, ...secret })).toThrow(/JWT_SECRET/);
    const parsed = loadConfig({ ...config, ...secret, JWT_SECRET: 'k'.repeat(48) });
    expect(parsed.isProduction).toBe(true);
    expect(parsed.postgres.migrateOnStart).toBe(false);
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
  });

  it('when Redis runs in the cluster, then only backend pods may reach it and it never evicts keys', () => {
    const policy = find('NetworkPolicy', 'cobalt-redis');
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'cobalt-redis' });
    expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cobalt-backend' } } }], ports: [{ port: 6379 }] }]);
    const args: string[] = find('Deployment', 'cobalt-redis').spec.template.spec.containers[0].args;
    expect(args.slice(args.indexOf('--maxmemory-policy'), args.indexOf('--maxmemory-policy') + 2)).toEqual(['--maxmemory-policy', 'noeviction']);
  });
});
