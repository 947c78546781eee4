import { join } from 'node:path';
import { httpStatus } from '../probes.mjs';

/** How Caddy is run on the repository's Caddyfile. */
export const caddyArgs = (root) => ['run', '--config', join(root, 'caddy', 'Caddyfile'), '--adapter', 'caddyfile'];

/**
 * Caddy's environment for the repository's Caddyfile: its port, admin address (or off), the
 * backends it balances over (host:port, space-separated), the built web app, and a home of its own.
 * @param {{ root: string, caddyDir: string, port: number, adminPort?: number, upstreams: string }} opts
 */
export function caddyEnvironment({ root, caddyDir, port, adminPort, upstreams }) {
  return {
    ...process.env,
    CADDY_PORT: String(port),
    CADDY_ADMIN: adminPort ? `127.0.0.1:${adminPort}` : 'off',
    BACKEND_UPSTREAMS: upstreams,
    FRONTEND_DIST: join(root, 'frontend', 'dist'),
    HOME: caddyDir,
    XDG_DATA_HOME: join(caddyDir, 'data'),
    XDG_CONFIG_HOME: join(caddyDir, 'config'),
  };
}

/** Caddy, the public entry: the web app, and the API balanced over the backends. */
export function startCaddy({ sup, root, dataDir, ports, urls, programs, withBackends, abort }) {
  const caddyDir = join(dataDir, 'caddy');
  return sup.define('caddy', async () => {
    const caddy = sup.spawn('caddy', programs.caddy, caddyArgs(root), {
      cwd: caddyDir,
      env: caddyEnvironment({
        root,
        caddyDir,
        port: ports.http,
        adminPort: ports.caddyAdmin,
        // Without backends, one upstream nobody listens on keeps the Caddyfile valid.
        upstreams: withBackends ? ports.backends.map((p) => `127.0.0.1:${p}`).join(' ') : '127.0.0.1:1',
      }),
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
