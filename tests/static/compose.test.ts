import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../backend/src/config.js';
import { DEFAULT_PORTS } from '../../scripts/cluster/ports.mjs';
import { backendEnvironment, instanceEnvironment } from '../../scripts/cluster/services/backends.mjs';
import { backendConfigKeys, readRepoFile, readYaml, repoPath, run, tools } from './support.js';

type Json = any;

const SECRETS = ['JWT_SECRET', 'POSTGRES_PASSWORD', 'MONGO_ROOT_PASSWORD', 'MONGO_PASSWORD', 'REDIS_PASSWORD', 'GRAFANA_ADMIN_PASSWORD'];
// Stand-ins for the secrets an operator puts in .env; only their shape matters here.
const TEST_SECRETS = {
  JWT_SECRET: 'x'.repeat(48),
  POSTGRES_PASSWORD: 'pg0123',
  MONGO_ROOT_PASSWORD: 'root0123',
  MONGO_PASSWORD: 'mongo0123',
  REDIS_PASSWORD: 'redis0123',
  GRAFANA_ADMIN_PASSWORD: 'grafana0123',
};

/** `docker compose config` of a file: the Compose specification schema, interpolation and references checked. */
function composeConfig(file: string, { env = {}, extra = [] as string[] } = {}) {
  const args = ['-f', file, ...(file === 'docker-compose.yml' ? ['--env-file', '.env.example'] : []), 'config', ...extra];
  // Only what the test passes, so a developer's own .env or shell cannot change the result.
  return run(tools().dockerCompose, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
}

function composeModel(file: string, env: Record<string, string> = TEST_SECRETS): Json {
  const res = composeConfig(file, { env, extra: ['--format', 'json'] });
  expect(res.code, res.output).toBe(0);
  return JSON.parse(res.stdout);
}

const isRoot = (user: string | undefined) => user === undefined || user === '' || /^(root|0)(:|$)/.test(user);

/** Names of the env vars the local cluster (scripts/cluster/services/backends.mjs) gives every backend. */
function clusterBackendEnvNames(): string[] {
  const urls = { postgres: 'postgresql://x', mongo: 'mongodb://x', redis: 'redis://x' };
  return [...Object.keys(backendEnvironment({ ports: DEFAULT_PORTS, urls, jwtSecret: 'x' })), ...Object.keys(instanceEnvironment(0, DEFAULT_PORTS.backends[0]))];
}

/** The source of every service start of the local cluster (scripts/cluster/services). */
const clusterServiceSources = () =>
  readdirSync(repoPath('scripts', 'cluster', 'services'))
    .map((file) => readRepoFile('scripts', 'cluster', 'services', file))
    .join('\n');

const portOf = (url: string) => Number(new URL(url).port);

describe('docker-compose.yml (production)', () => {
  it('when validated by docker compose against the Compose specification, then it is valid', () => {
    const res = composeConfig('docker-compose.yml', { env: TEST_SECRETS, extra: ['--quiet'] });
    expect(res.code, res.output).toBe(0);
  });

  it('when a secret is missing from .env, then docker compose refuses to run', () => {
    for (const secret of SECRETS) {
      const env: Record<string, string> = { ...TEST_SECRETS };
      delete env[secret];
      const res = composeConfig('docker-compose.yml', { env, extra: ['--quiet'] });
      expect(res.code, secret).not.toBe(0);
      expect(res.output).toContain(`set ${secret} in .env`);
    }
  });

  it('when read without interpolation, then every secret comes from the env file and none is written in the file', () => {
    const res = composeConfig('docker-compose.yml', { extra: ['--no-interpolate', '--format', 'json'] });
    expect(res.code, res.output).toBe(0);
    const model = JSON.parse(res.stdout);
    const env = (s: string) => model.services[s].environment as Record<string, string>;
    expect(env('backend').JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?/);
    expect(env('backend').DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
    expect(env('backend').MONGO_URL).toContain('${MONGO_PASSWORD:?');
    expect(env('backend').REDIS_URL).toContain('${REDIS_PASSWORD:?');
    expect(env('postgres').POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(env('mongo').MONGO_INITDB_ROOT_PASSWORD).toMatch(/^\$\{MONGO_ROOT_PASSWORD:\?/);
    expect(env('grafana').GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
  });

  it('when .env.example is read, then it documents every variable the compose file uses and leaves every secret empty', () => {
    const example = readRepoFile('.env.example');
    const assigned = new Map([...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    const used = new Set([...readRepoFile('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    for (const name of used) expect(assigned.has(name), `${name} is used by docker-compose.yml but not in .env.example`).toBe(true);
    for (const secret of SECRETS) expect(assigned.get(secret), secret).toBe('');
    // Each variable has a comment right above it.
    for (const name of assigned.keys()) expect(example, name).toMatch(new RegExp(`#[^\\n]*\\n(#[^\\n]*\\n)*${name}=`));
  });

  it('when normalised, then it has the services of the issue, each healthy-checked, non-root and on named volumes', () => {
    const model = composeModel('docker-compose.yml');
    expect(Object.keys(model.services).sort()).toEqual(['backend', 'caddy', 'grafana', 'migrate', 'mongo', 'postgres', 'prometheus', 'redis']);
    for (const [name, svc] of Object.entries<Json>(model.services)) {
      expect(isRoot(svc.user), `${name} runs as root`).toBe(false);
      if (name === 'migrate') continue; // one-shot, see below
      expect(svc.healthcheck?.test?.length, `${name} has no healthcheck`).toBeGreaterThan(0);
      expect(svc.restart, name).toBe('unless-stopped');
    }
    expect(model.services.mongo.image).toMatch(/^mongo:/);
    // Third-party images pinned to a release, never `latest`.
    for (const [name, svc] of Object.entries<Json>(model.services)) {
      if (!svc.build) expect(svc.image, name).toMatch(/^[\w./-]+:v?\d+(\.\d+)*(-alpine)?$/);
    }
    const namedVolume = (svc: string, target: string) => model.services[svc].volumes.some((v: Json) => v.type === 'volume' && v.target === target && model.volumes[v.source]);
    expect(namedVolume('postgres', '/var/lib/postgresql/data')).toBe(true);
    expect(namedVolume('mongo', '/data/db')).toBe(true);
    expect(namedVolume('redis', '/data')).toBe(true);
    expect(namedVolume('prometheus', '/prometheus')).toBe(true);
    expect(namedVolume('grafana', '/var/lib/grafana')).toBe(true);
    expect(namedVolume('caddy', '/data')).toBe(true);
  });

  it('when started, then migrations run once in a one-shot service before any backend, and the backends do not migrate again', () => {
    const model = composeModel('docker-compose.yml');
    const { migrate, backend } = model.services;
    expect(migrate.command).toEqual(['node', 'dist/migrate-cli.js']);
    expect(migrate.restart).toBe('no');
    expect(migrate.image).toBe(backend.image);
    expect(migrate.depends_on.postgres.condition).toBe('service_healthy');
    expect(backend.depends_on.migrate.condition).toBe('service_completed_successfully');
    for (const store of ['postgres', 'mongo', 'redis']) expect(backend.depends_on[store].condition).toBe('service_healthy');
    expect(model.services.caddy.depends_on.backend.condition).toBe('service_healthy');
    expect(backend.environment.MIGRATE_ON_START).toBe('false');
    expect(readRepoFile('backend', 'package.json')).toContain('"migrate": "node dist/migrate-cli.js"');
  });

  it('when the backend is scaled, then nothing pins one replica: no container name, no host port, replicas from BACKEND_REPLICAS', () => {
    const model = composeModel('docker-compose.yml');
    const backend = model.services.backend;
    expect(backend.container_name).toBeUndefined();
    expect(backend.ports).toBeUndefined();
    expect(backend.deploy.replicas).toBe(3);
    expect(composeModel('docker-compose.yml', { ...TEST_SECRETS, BACKEND_REPLICAS: '5' }).services.backend.deploy.replicas).toBe(5);
    expect(backend.environment.INSTANCE_ID).toBeUndefined();
  });

  it('when the backend gets SIGTERM, then Docker waits longer than its shutdown budget', () => {
    const backend = composeModel('docker-compose.yml').services.backend;
    const graceSeconds = Number(/^(\d+)s$/.exec(backend.stop_grace_period)![1]);
    expect(graceSeconds * 1000).toBeGreaterThan(Number(backend.environment.SHUTDOWN_TIMEOUT_MS));
    expect(backend.init).toBe(true);
  });

  it('when the backend environment is given to backend/src/config.ts, then every name exists there and it parses as production', () => {
    const model = composeModel('docker-compose.yml');
    const keys = backendConfigKeys();
    for (const svc of ['backend', 'migrate']) {
      const env = model.services[svc].environment as Record<string, string>;
      for (const name of Object.keys(env)) expect(keys.has(name), `${svc}: ${name} is not read by backend/src/config.ts`).toBe(true);
      expect(env.NODE_ENV).toBe('production');
      const config = loadConfig(env);
      expect(config.isProduction).toBe(true);
      expect(config.auth.jwtSecretIsEphemeral).toBe(false);
    }
    const backend = loadConfig(model.services.backend.environment);
    expect(backend.http).toMatchObject({ host: '0.0.0.0', port: 3000, trustProxy: 1 });
  });

  it('when published, then only Caddy faces the network; Prometheus and Grafana listen on loopback; data stores have no route out', () => {
    const model = composeModel('docker-compose.yml');
    for (const [name, svc] of Object.entries<Json>(model.services)) {
      for (const port of svc.ports ?? []) {
        if (name === 'caddy') expect(port.host_ip, `${name}:${port.target}`).toBeUndefined();
        else expect(port.host_ip, `${name}:${port.target}`).toBe('127.0.0.1');
      }
    }
    expect(model.services.caddy.ports.map((p: Json) => `${p.target}/${p.protocol}`).sort()).toEqual(['443/tcp', '443/udp', '80/tcp', '8080/tcp']);
    expect(model.networks.internal.internal).toBe(true);
    for (const store of ['postgres', 'mongo', 'redis', 'migrate']) expect(Object.keys(model.services[store].networks), store).toEqual(['internal']);
  });

  it('when Caddy loads its Caddyfile, then every variable it reads without a default is set by the compose file', () => {
    const caddyfile = readRepoFile('caddy', 'Caddyfile.production');
    const env = composeModel('docker-compose.yml').services.caddy.environment ?? {};
    for (const m of caddyfile.matchAll(/\{\$([A-Z_][A-Z0-9_]*)(:[^}]*)?\}/g)) {
      if (m[2] === undefined) expect(env, m[1]).toHaveProperty(m[1]!);
    }
    expect(env.COBALT_BACKEND_HOST).toBe('backend');
    expect(env.COBALT_BACKEND_PORT).toBe('3000');
  });

  it('when built, then every build points at an existing Dockerfile and target, and bind mounts exist', () => {
    const model = composeModel('docker-compose.yml');
    for (const [name, svc] of Object.entries<Json>(model.services)) {
      if (svc.build) {
        expect(svc.build.dockerfile).toMatch(/^(backend|frontend)\/Dockerfile$/);
        expect(readRepoFile(svc.build.dockerfile), name).toMatch(new RegExp(`^FROM .+ AS ${svc.build.target}$`, 'm'));
      }
      for (const v of svc.volumes ?? []) if (v.type === 'bind') expect(existsSync(v.source), `${name}: ${v.source}`).toBe(true);
    }
  });
});

describe('docker-compose.yml and the local cluster (scripts/cluster.mjs) agree', () => {
  it('when the services are compared, then compose runs the same topology plus the migration and Grafana', () => {
    const cluster = clusterServiceSources();
    // Each service of the local cluster is defined once by how it starts: sup.define(name, launch).
    const clusterServices = new Set([...cluster.matchAll(/sup\.define\(\s*['"]([a-z-]+)/g)].map((m) => m[1]!));
    // backend-N is defined with a template name.
    expect(cluster).toMatch(/sup\.define\(`backend-\$\{i \+ 1\}`/);
    clusterServices.add('backend');
    // FerretDB's own PostgreSQL is part of the local MongoDB-wire server; compose runs a real mongod.
    expect(clusterServices.delete('mongo-store')).toBe(true);
    expect([...clusterServices].sort()).toEqual(['backend', 'caddy', 'mongo', 'postgres', 'prometheus', 'redis']);
    const compose = Object.keys(composeModel('docker-compose.yml').services).filter((s) => s !== 'migrate' && s !== 'grafana');
    expect(compose.sort()).toEqual([...clusterServices].sort());
    expect(composeModel('docker-compose.yml').services.backend.deploy.replicas).toBe(DEFAULT_PORTS.backends.length);
  });

  it('when the ports are compared, then the public, backend and Prometheus ports and the store ports match', () => {
    const model = composeModel('docker-compose.yml');
    const caddyPlain = model.services.caddy.ports.find((p: Json) => p.target === 8080);
    expect(Number(caddyPlain.published)).toBe(DEFAULT_PORTS.http);
    expect(caddyPlain.target).toBe(DEFAULT_PORTS.http);
    expect(Number(model.services.prometheus.ports[0].published)).toBe(DEFAULT_PORTS.prometheus);
    expect(model.services.prometheus.ports[0].target).toBe(DEFAULT_PORTS.prometheus);
    // The backends listen on the config default, which both Prometheus configs scrape.
    const env = model.services.backend.environment;
    expect(Number(env.PORT)).toBe(loadConfig({}).http.port);
    expect(readRepoFile('prometheus', 'prometheus.yml')).toMatch(/'backend-1:3000'/);
    expect(readYaml('prometheus/prometheus.docker.yml').scrape_configs[0].dns_sd_configs[0].port).toBe(Number(env.PORT));
    // The stores on their standard ports: the defaults in backend/src/config.ts.
    const defaults = loadConfig({});
    expect(portOf(env.DATABASE_URL)).toBe(portOf(defaults.postgres.url));
    expect(portOf(env.MONGO_URL)).toBe(portOf(defaults.mongo.url));
    expect(portOf(env.REDIS_URL)).toBe(portOf(defaults.redis.url));
  });

  it('when the database names are compared, then both use database and user cobalt', () => {
    const cluster = readRepoFile('scripts', 'cluster', 'postgres.mjs');
    expect(cluster).toContain("const DB_NAME = 'cobalt';");
    expect(cluster).toContain("const DB_USER = 'cobalt';");
    const model = composeModel('docker-compose.yml');
    expect(model.services.postgres.environment).toMatchObject({ POSTGRES_DB: 'cobalt', POSTGRES_USER: 'cobalt' });
    const url = new URL(model.services.backend.environment.DATABASE_URL);
    expect([url.username, url.pathname]).toEqual(['cobalt', '/cobalt']);
    expect(new URL(model.services.backend.environment.MONGO_URL).pathname).toBe('/cobalt');
  });

  it('when the backend env names are compared, then compose sets every one the cluster sets (the instance id is the container name)', () => {
    const names = clusterBackendEnvNames();
    expect(names).toEqual(expect.arrayContaining(['NODE_ENV', 'DATABASE_URL', 'MONGO_URL', 'REDIS_URL', 'JWT_SECRET', 'CORS_ORIGINS', 'TRUST_PROXY', 'INSTANCE_ID', 'PORT']));
    const keys = backendConfigKeys();
    for (const name of names) expect(keys.has(name), `cluster sets ${name}, unknown to config.ts`).toBe(true);
    const env = composeModel('docker-compose.yml').services.backend.environment;
    for (const name of names.filter((n) => n !== 'INSTANCE_ID')) expect(env, name).toHaveProperty(name);
  });
});

describe('docker-compose.dev.yml', () => {
  it('when validated by docker compose against the Compose specification, then it is valid', () => {
    const res = composeConfig('docker-compose.dev.yml', { extra: ['--quiet'] });
    expect(res.code, res.output).toBe(0);
  });

  it('when normalised, then it runs the data stores, the backend under tsx watch and the Vite dev server, each health-checked and non-root', () => {
    const model = composeModel('docker-compose.dev.yml', {});
    expect(Object.keys(model.services).sort()).toEqual(['backend', 'devnet', 'frontend', 'mongo', 'postgres', 'redis']);
    for (const [name, svc] of Object.entries<Json>(model.services)) {
      expect(svc.healthcheck?.test?.length, `${name} has no healthcheck`).toBeGreaterThan(0);
      expect(isRoot(svc.user), `${name} runs as root`).toBe(false);
    }
    const { backend, frontend } = model.services;
    expect(backend.command.join(' ')).toContain('npm run dev -w backend');
    expect(readRepoFile('backend', 'package.json')).toContain('"dev": "tsx watch src/main.ts"');
    expect(frontend.command.join(' ')).toContain('npm run dev -w frontend -- --host 0.0.0.0');
    expect(backend.build).toMatchObject({ dockerfile: 'backend/Dockerfile', target: 'dev' });
    expect(frontend.build).toMatchObject({ dockerfile: 'frontend/Dockerfile', target: 'dev' });
  });

  it('when a source file is saved, then compose watch syncs it into the container that reloads it', () => {
    const model = composeModel('docker-compose.dev.yml', {});
    const watched = (svc: string) => model.services[svc].develop.watch.map((w: Json) => `${w.action} ${w.path.replace(`${repoPath()}/`, '')}`);
    expect(watched('backend')).toEqual(expect.arrayContaining(['sync backend/src', 'sync+restart backend/prisma', 'rebuild package-lock.json']));
    expect(watched('frontend')).toEqual(expect.arrayContaining(['sync frontend/src', 'sync frontend/index.html', 'rebuild package-lock.json']));
  });

  it('when Vite proxies the API, then localhost:COBALT_HTTP_PORT is the backend in the shared network namespace', () => {
    const model = composeModel('docker-compose.dev.yml', {});
    const { backend, frontend, devnet } = model.services;
    expect(backend.network_mode).toBe('service:devnet');
    expect(frontend.network_mode).toBe('service:devnet');
    expect(frontend.environment.COBALT_HTTP_PORT).toBe(backend.environment.PORT);
    expect(devnet.ports.map((p: Json) => p.target).sort()).toEqual([3000, 5173]);
    const vite = readRepoFile('frontend', 'vite.config.ts');
    expect(vite).toContain('COBALT_HTTP_PORT');
    expect(vite).toContain('http://localhost:');
    expect(vite).toMatch(/port: 5173/);
  });

  it('when the backend environment is given to backend/src/config.ts, then every name exists there and it parses', () => {
    const env = composeModel('docker-compose.dev.yml', {}).services.backend.environment as Record<string, string>;
    const keys = backendConfigKeys();
    for (const name of Object.keys(env)) expect(keys.has(name), name).toBe(true);
    const config = loadConfig(env);
    expect(config.env).toBe('development');
    expect(config.auth.jwtSecretIsEphemeral).toBe(false);
  });
});
