import { join } from 'node:path';
import { httpStatus } from '../probes.mjs';

/** Caddy, the public entry: the web app, and the API balanced over the backends. */
export function startCaddy({ sup, root, dataDir, ports, urls, programs, withBackends, abort }) {
  const caddyDir = join(dataDir, 'caddy');
  return sup.define('caddy', async () => {
    const caddy = sup.spawn('caddy', programs.caddy, ['run', '--config', join(root, 'caddy', 'Caddyfile'), '--adapter', 'caddyfile'], {
      cwd: caddyDir,
      env: {
        ...process.env,
        CADDY_PORT: String(ports.http),
        CADDY_ADMIN: ports.caddyAdmin ? `127.0.0.1:${ports.caddyAdmin}` : 'off',
        // Without backends, one upstream nobody listens on keeps the Caddyfile valid.
        BACKEND_UPSTREAMS: withBackends ? ports.backends.map((p) => `127.0.0.1:${p}`).join(' ') : '127.0.0.1:1',
        FRONTEND_DIST: join(root, 'frontend', 'dist'),
        HOME: caddyDir,
        XDG_DATA_HOME: join(caddyDir, 'data'),
        XDG_CONFIG_HOME: join(caddyDir, 'config'),
      },
    });
    await sup.waitFor(
      'caddy',
      async () => {
        const status = await httpStatus(`${urls.public}${withBackends ? '/health/ready' : '/'}`);
        return withBackends ? status === 200 : status > 0;
      },
      { svc: caddy, abort },
    );
    return caddy;
  });
}
