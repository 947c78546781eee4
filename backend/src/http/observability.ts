import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { httpLinesShown, logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { runWithContext } from '../lib/request-context.js';

const REQUEST_ID = /^[A-Za-z0-9\-_.:]{1,100}$/;

/** Request id (kept from X-Request-Id when well-formed), instance header and log context. */
export const requestContext =
  (instanceId: string): RequestHandler =>
  (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Instance-Id', instanceId);
    res.setHeader('X-Request-Id', requestId);
    runWithContext({ requestId }, next);
  };

/** Requests slower than this are stored in the `logs` collection even when successful. */
const SLOW_MS = 1000;

/**
 * Duration histogram by route template (`/api/todos/:id`, never the raw path, which would
 * explode label cardinality), and a request record per request: a log line at level `http`, kept
 * in the `logs` collection as `stored` says (each stored record is a document written to MongoDB,
 * so by default only errors and slow requests are; the metrics count every request).
 */
export const requestMetrics =
  (metrics: Metrics, stored: 'errors' | 'all' | 'none' = 'errors'): RequestHandler =>
  (req, res, next) => {
    const stopTimer = metrics.httpRequestDuration.startTimer();
    res.on('finish', () => {
      const routePath = (req.route as { path?: string | RegExp } | undefined)?.path;
      // GraphQL is mounted (`app.use('/graphql', …)`): inside it, and still when it answers, `req.path` is relative to the mount.
      const path = req.originalUrl.split('?', 1)[0]!;
      const route = routePath ? `${req.baseUrl}${String(routePath)}` : path === '/graphql' || path.startsWith('/graphql/') ? '/graphql' : 'unmatched';
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      const seconds = stopTimer(labels);
      if (route.startsWith('/health') || route === '/metrics') return;
      const durationMs = Math.round(seconds * 1000);
      const keep = stored === 'all' || (stored === 'errors' && (res.statusCode >= 400 || durationMs >= SLOW_MS));
      if (keep) logger.http('request', { record: 'request', ...labels, durationMs, ip: req.ip });
      else if (httpLinesShown()) logger.http('request', { ...labels, durationMs, ip: req.ip });
    });
    next();
  };
