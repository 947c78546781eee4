// The cluster's port table: defaults, environment, offset, and a check that each is free.
import net from 'node:net';

export const DEFAULT_PORTS = Object.freeze({
  http: 8080,
  backends: [3001, 3002, 3003],
  postgres: 55432,
  redis: 56379,
  mongo: 57017,
  prometheus: 9090,
});

export const PORT_ENV = {
  http: 'COBALT_HTTP_PORT',
  backends: 'COBALT_BACKEND_PORTS',
  postgres: 'COBALT_POSTGRES_PORT',
  redis: 'COBALT_REDIS_PORT',
  mongo: 'COBALT_MONGO_PORT',
  prometheus: 'COBALT_PROMETHEUS_PORT',
  caddyAdmin: 'COBALT_CADDY_ADMIN_PORT',
};

function envPort(env, key) {
  const raw = env[PORT_ENV[key]];
  if (raw === undefined || raw === '') return undefined;
  if (key === 'backends') {
    const list = raw.split(',').map((s) => Number(s.trim()));
    if (!list.length || list.some((p) => !Number.isInteger(p) || p <= 0 || p > 65535)) throw new Error(`${PORT_ENV[key]}="${raw}" is not a comma-separated list of ports`);
    return list;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${PORT_ENV[key]}="${raw}" is not a port`);
  return n;
}

const allPorts = (ports) => [ports.http, ...ports.backends, ports.postgres, ports.redis, ports.mongo, ports.prometheus, ports.caddyAdmin].filter((p) => p !== undefined);

/**
 * Ports: defaults, overridden by COBALT_*_PORT env, shifted by `portOffset`, overridden by `ports`.
 * `caddyAdmin` is only set when asked for (the admin API is off by default).
 */
export function resolvePorts({ portOffset = 0, ports = {} } = {}, env = process.env) {
  const out = {};
  for (const key of Object.keys(PORT_ENV)) {
    const base = envPort(env, key) ?? DEFAULT_PORTS[key];
    if (base === undefined) continue;
    out[key] = Array.isArray(base) ? base.map((p) => p + portOffset) : base + portOffset;
  }
  for (const [key, value] of Object.entries(ports)) if (value !== undefined) out[key] = Array.isArray(value) ? [...value] : value;
  const all = allPorts(out);
  const dup = all.find((p, i) => all.indexOf(p) !== i);
  if (dup !== undefined) throw new Error(`port ${dup} is configured for two services`);
  for (const p of all) if (!Number.isInteger(p) || p <= 0 || p > 65535) throw new Error(`invalid port ${p} (check portOffset / COBALT_*_PORT)`);
  return out;
}

/** True when nothing listens on `port` (checked on 127.0.0.1, and on all interfaces for `public`). */
function portFree(port, host) {
  return new Promise((res) => {
    const srv = net.createServer();
    srv.once('error', (/** @type {NodeJS.ErrnoException} */ err) => res(err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL'));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => res(true)));
  });
}

/** The first free port after `port` that no other service of the cluster is given, or undefined. */
async function nextFreePort(port, ports) {
  const used = new Set(allPorts(ports));
  for (let p = port + 1; p <= Math.min(port + 100, 65535); p++) if (!used.has(p) && (await portFree(p, '127.0.0.1'))) return p;
  return undefined;
}

/**
 * Checks that every port the cluster will listen on is free, and throws naming each one that is
 * not. Prometheus's port is one nobody types: when it was not chosen (`ports` option or
 * COBALT_PROMETHEUS_PORT) and is taken (Debian's prometheus package runs a server on 9090), the
 * cluster's Prometheus moves to the next free port and says so. Resolves with the ports to use.
 */
/** @param {any} ports @param {{ withBackends: boolean, chosen?: { prometheus?: number }, env?: NodeJS.ProcessEnv, log: (line: string) => void }} opts */
export async function claimPorts(ports, { withBackends, chosen = {}, env = process.env, log }) {
  const out = { ...ports };
  const prometheusChosen = chosen.prometheus !== undefined || Boolean(env[PORT_ENV.prometheus]);
  if (!prometheusChosen && !(await portFree(out.prometheus, '127.0.0.1'))) {
    const moved = await nextFreePort(out.prometheus, out);
    if (moved !== undefined) {
      log(
        `ports     ${out.prometheus} is in use (on Debian, the prometheus package runs a server there): this cluster's Prometheus listens on ${moved} instead (set ${PORT_ENV.prometheus} to choose)`,
      );
      out.prometheus = moved;
    }
  }
  const wanted = [
    ['http', out.http, 'caddy (public entry)', true],
    ...(withBackends ? out.backends.map((p, i) => ['backends', p, `backend-${i + 1}`]) : []),
    ['postgres', out.postgres, 'postgres'],
    ['redis', out.redis, 'redis'],
    ['mongo', out.mongo, 'mongo'],
    ['prometheus', out.prometheus, 'prometheus'],
    ...(out.caddyAdmin ? [['caddyAdmin', out.caddyAdmin, 'caddy admin API']] : []),
  ];
  const taken = [];
  for (const [key, port, what, everywhere] of wanted) {
    const free = (await portFree(port, '127.0.0.1')) && (!everywhere || (await portFree(port, '::')));
    if (!free) taken.push(`port ${port} for ${what} is already in use (set ${PORT_ENV[key]}, or pass portOffset)`);
  }
  if (taken.length) throw new Error(taken.join('\n'));
  return out;
}
