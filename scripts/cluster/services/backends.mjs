import { join } from 'node:path';
import { httpStatus } from '../probes.mjs';

/** What every backend of the cluster is told (the instance's own id and port come on top). */
export function backendEnvironment({ ports, urls, jwtSecret, nodeEnv = 'production', extra = {} }) {
  return {
    NODE_ENV: nodeEnv,
    HOST: '127.0.0.1',
    DATABASE_URL: urls.postgres,
    MONGO_URL: urls.mongo,
    REDIS_URL: urls.redis,
    JWT_SECRET: jwtSecret,
    CORS_ORIGINS: `http://localhost:${ports.http},http://127.0.0.1:${ports.http},http://localhost:5173`,
    TRUST_PROXY: 'loopback',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** The one instance's part of its environment. */
export const instanceEnvironment = (index, port) => ({ INSTANCE_ID: `backend-${index + 1}`, PORT: String(port) });

/** The backends, all at once: each applies pending migrations under a Postgres advisory lock. */
export function startBackends({ sup, root, ports, urls, backendEnv, backendEntry, nodeArgs = /** @type {string[]} */ ([]), abort }) {
  return Promise.all(
    ports.backends.map((port, i) =>
      sup.define(`backend-${i + 1}`, async () => {
        const svc = sup.spawn(`backend-${i + 1}`, process.execPath, [...nodeArgs, '--enable-source-maps', backendEntry], {
          cwd: join(root, 'backend'),
          env: { ...process.env, ...backendEnv, ...instanceEnvironment(i, port) },
        });
        await sup.waitFor(svc.name, async () => (await httpStatus(`${urls.backends[i]}/health/ready`)) === 200, { timeoutMs: 90_000, svc, abort });
        return svc;
      }),
    ),
  );
}
