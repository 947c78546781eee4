import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { logger } from '../lib/logger.js';
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

/**
 * Duration histogram by route template (`/api/todos/:id`, never the raw path, which would
 * explode label cardinality), and one request record per request for the `logs` collection.
 */
export const requestMetrics =
  (metrics: Metrics): RequestHandler =>
  (req, res, next) => {
    const stopTimer = metrics.httpRequestDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : req.path.startsWith('/graphql') ? '/graphql' : 'unmatched';
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      const seconds = stopTimer(labels);
      if (route.startsWith('/health') || route === '/metrics') return;
      logger.http('request', { record: 'request', ...labels, durationMs: Math.round(seconds * 1000), ip: req.ip });
    });
    next();
  };
