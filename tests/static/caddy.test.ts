import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRepoFile, run, scratch, tools } from './support.js';

const scratchDir = scratch();

type Json = any;

/** Caddy's own environment: state under a temp dir, never the user's home. */
function caddyEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const home = scratchDir('caddy-');
  return { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'), ...extra };
}

function adapt(file: string, env: Record<string, string>): Json {
  const res = run(tools().caddy, ['adapt', '--config', file, '--adapter', 'caddyfile'], { env: caddyEnv(env) });
  expect(res.code, res.output).toBe(0);
  return JSON.parse(res.stdout);
}

function validate(file: string, env: Record<string, string>) {
  const res = run(tools().caddy, ['validate', '--config', file, '--adapter', 'caddyfile'], { env: caddyEnv(env) });
  expect(res.code, res.output).toBe(0);
  expect(res.output).toContain('Valid configuration');
}

/** Every handler in a server's route tree, with the path matchers that lead to it. */
function handlers(routes: Json[], paths: string[] = []): { paths: string[]; handler: Json }[] {
  const out: { paths: string[]; handler: Json }[] = [];
  for (const route of routes ?? []) {
    const here = (route.match ?? []).flatMap((m: Json) => m.path ?? []);
    const at = here.length ? here : paths;
    for (const h of route.handle ?? []) {
      if (h.handler === 'subroute') out.push(...handlers(h.routes, at));
      else out.push({ paths: at, handler: h });
    }
  }
  return out;
}

const proxyFor = (server: Json, path: string) => handlers(server.routes).find((h) => h.paths.includes(path) && h.handler.handler === 'reverse_proxy')?.handler;
const responseFor = (server: Json, path: string) => handlers(server.routes).find((h) => h.paths.includes(path))?.handler;

// The environment scripts/cluster.mjs gives Caddy.
const LOCAL_ENV = { CADDY_PORT: '18089', CADDY_ADMIN: 'off', BACKEND_UPSTREAMS: '127.0.0.1:13001 127.0.0.1:13002 127.0.0.1:13003', FRONTEND_DIST: '/tmp/cobalt-frontend-dist' };

describe('caddy/Caddyfile (local cluster)', () => {
  it('when loaded with the environment scripts/cluster.mjs sets, then caddy validates it', () => {
    validate('caddy/Caddyfile', LOCAL_ENV);
  });

  it('when adapted, then it proxies to every BACKEND_UPSTREAMS address, hides /metrics and pins /socket.io by cookie', () => {
    const server = Object.values(adapt('caddy/Caddyfile', LOCAL_ENV).apps.http.servers)[0] as Json;
    expect(server.listen).toEqual([':18089']);
    const api = proxyFor(server, '/api/*');
    expect(api.upstreams.map((u: Json) => u.dial)).toEqual(['127.0.0.1:13001', '127.0.0.1:13002', '127.0.0.1:13003']);
    // Routed on whether an instance takes work, not on shared stores (a store outage must not pull them all).
    expect(api.health_checks.active.uri).toBe('/health/accepting');
    // No passive checks: Caddy 2.6 would count a client's own malformed request against the backend (docs/SECURITY.md).
    for (const path of ['/api/*', '/socket.io/*']) expect(proxyFor(server, path).health_checks.passive, path).toBeUndefined();
    // With no backend to answer, API clients still get the contract's envelope with its stable code.
    const bodies: Json[] = [];
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node && typeof node === 'object') {
        const n = node as Json;
        if (n.handler === 'static_response' && typeof n.body === 'string' && n.body.startsWith('{"')) bodies.push({ status: n.status_code, body: JSON.parse(n.body) });
        Object.values(n).forEach(collect);
      }
    };
    collect(server.errors.routes);
    expect(bodies).toEqual([
      { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: expect.any(String) } } },
      { status: 503, body: { errors: [{ message: expect.any(String), extensions: { code: 'UNAVAILABLE' } }] } },
      { status: 503, body: { error: { code: 'UNAVAILABLE', message: expect.any(String) } } },
    ]);
    expect(proxyFor(server, '/socket.io/*').load_balancing.selection_policy).toMatchObject({ policy: 'cookie', name: 'cobalt_lb' });
    expect(responseFor(server, '/metrics')).toMatchObject({ handler: 'static_response', status_code: 404 });
  });

  it('when the environment is empty, then the documented defaults still make a valid config', () => {
    validate('caddy/Caddyfile', {});
    const cluster = readRepoFile('scripts', 'cluster', 'services', 'caddy.mjs');
    for (const name of ['CADDY_PORT', 'CADDY_ADMIN', 'BACKEND_UPSTREAMS', 'FRONTEND_DIST']) {
      expect(readRepoFile('caddy', 'Caddyfile')).toContain(`{$${name}`);
      expect(cluster).toContain(`${name}:`);
    }
  });
});

describe('caddy/Caddyfile.production (docker-compose)', () => {
  it('when no domain is set, then it validates and serves plain HTTP on :8080', () => {
    validate('caddy/Caddyfile.production', {});
    const servers = adapt('caddy/Caddyfile.production', {}).apps.http.servers as Record<string, Json>;
    const site = Object.values(servers).find((s) => s.listen.includes(':8080'));
    expect(site, JSON.stringify(servers)).toBeDefined();
    expect(site.tls_connection_policies).toBeUndefined();
  });

  it('when COBALT_DOMAIN is set, then it validates and serves that host over HTTPS on :443', () => {
    validate('caddy/Caddyfile.production', { COBALT_DOMAIN: 'todo.example.com' });
    const config = adapt('caddy/Caddyfile.production', { COBALT_DOMAIN: 'todo.example.com' });
    const site = Object.values(config.apps.http.servers as Record<string, Json>).find((s) => s.listen.includes(':443'));
    expect(site).toBeDefined();
    expect(site.routes[0].match[0].host).toEqual(['todo.example.com']);
    expect(site.automatic_https?.disable).not.toBe(true);
  });

  it('when adapted, then backends come from DNS A records of the scaled service, /socket.io is sticky and /metrics is never proxied', () => {
    const servers = adapt('caddy/Caddyfile.production', {}).apps.http.servers as Record<string, Json>;
    const site = Object.values(servers).find((s) => s.listen.includes(':8080'));
    for (const path of ['/api/*', '/graphql/*', '/health/*', '/socket.io/*']) {
      const proxy = proxyFor(site, path);
      expect(proxy?.dynamic_upstreams, path).toMatchObject({ source: 'a', name: 'backend', port: '3000' });
      expect(proxy.health_checks?.passive, path).toBeUndefined();
      expect(proxy.load_balancing.try_duration).toBeGreaterThan(0);
    }
    expect(proxyFor(site, '/api/*').load_balancing.selection_policy.policy).toBe('round_robin');
    expect(proxyFor(site, '/socket.io/*').load_balancing.selection_policy).toMatchObject({ policy: 'cookie', name: 'cobalt_lb' });
    expect(responseFor(site, '/metrics')).toMatchObject({ handler: 'static_response', status_code: 404 });
    expect(proxyFor(site, '/metrics')).toBeUndefined();
  });

  it('when adapted, then the container health endpoint listens on loopback only and the admin API is off', () => {
    const config = adapt('caddy/Caddyfile.production', {});
    expect(config.admin).toEqual({ disabled: true });
    const health = Object.values(config.apps.http.servers as Record<string, Json>).find((s) => s.listen.some((l: string) => l.endsWith(':2020')));
    expect(health.listen).toEqual(['127.0.0.1:2020']);
  });

  it('when compared with the local Caddyfile, then both route the same paths', () => {
    const routed = (file: string) =>
      new Set(
        Object.values(adapt(file, {}).apps.http.servers as Record<string, Json>)
          .flatMap((s) => handlers(s.routes))
          .flatMap((h) => h.paths)
          .filter((p) => p !== '/healthz'),
      );
    expect([...routed('caddy/Caddyfile.production')].sort()).toEqual([...routed('caddy/Caddyfile')].sort());
  });
});
