import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { audit } from '../lib/audit.js';
import type { Metrics } from '../lib/metrics.js';

/**
 * Whether a browser origin may open a live connection: one of the allowed origins, or the page's
 * own (a page this server served, as GraphiQL is). An absent Origin is not a browser: token
 * authentication decides.
 */
export type OriginCheck = (origin: string | undefined, host: string | undefined) => boolean;

const sameOrigin = (origin: string, host: string | undefined) => {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
};

/** The handshake Origin allow-list (CORS does not protect WebSockets); each refusal is logged and counted. */
export function createOriginCheck(allowedOrigins: string[], metrics: Pick<Metrics, 'securityEvents'>): OriginCheck {
  const allowed = new Set(allowedOrigins);
  return (origin, host) => {
    if (origin === undefined || allowed.has(origin) || sameOrigin(origin, host)) return true;
    metrics.securityEvents.inc({ type: 'origin_refused' });
    audit('security.origin_refused', { origin: origin.slice(0, 200) });
    return false;
  };
}

export interface UpgradeRoute {
  /** Exact path (`/graphql`) or a prefix ending in `/` (`/socket.io/`). */
  path: string;
  /** The body of a 403 for a foreign Origin, in the envelope this path's polling or HTTP answers use. */
  refusal: object;
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

function reject(socket: Duplex, status: 403 | 404, body: object): void {
  socket.on('error', () => undefined);
  if (socket.writable) {
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Not Found'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  }
  socket.destroy();
}

/**
 * The one listener for WebSocket upgrades of the HTTP server: Socket.IO at /socket.io/ and
 * graphql-ws at /graphql share the server, and each library would otherwise answer (or destroy)
 * the other's upgrades. A foreign Origin is refused here with 403 on either path; an upgrade to any
 * other path gets 404.
 */
export function routeUpgrades(httpServer: HttpServer, originCheck: OriginCheck, routes: UpgradeRoute[]): void {
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes.find((r) => (r.path.endsWith('/') ? path.startsWith(r.path) : path === r.path));
    if (!route) return reject(socket, 404, { error: { code: 'NOT_FOUND', message: `No WebSocket endpoint at ${path.slice(0, 100)}` } });
    if (!originCheck(req.headers.origin, req.headers.host)) return reject(socket, 403, route.refusal);
    route.handle(req, socket, head);
  });
}
