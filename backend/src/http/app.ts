import express, { type Express, type Router } from 'express';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import type { Metrics } from '../lib/metrics.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { requestContext, requestMetrics } from './observability.js';

/** CORS allow-list for browser clients on other origins (the Vite dev server, say). */
function cors(origins: string[]): express.RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, X-Instance-Id, Retry-After');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET,POST,PATCH,DELETE,OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization,Content-Type,X-Request-Id,X-Cobalt-Client,Apollo-Require-Preflight,X-Apollo-Operation-Name');
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  };
}

/**
 * Every answer of the API is about one account (its tokens, profile, sessions or todos) or says
 * something only true now (health, errors): no cache, shared or private, may keep it
 * (RFC 9111 §5.2.2.5; RFC 6749 §5.1 for the token answers). GraphQL sets the same from its plugin.
 */
const noStore: express.RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * The Express app: cross-cutting middleware, then the routers of each component, then the
 * central error handler. GraphQL is mounted by the caller between the two (it needs the app).
 */
export interface HttpSettings {
  instanceId: string;
  /** Express `trust proxy` (TRUST_PROXY). */
  trustProxy: string | number | boolean;
  corsOrigins: string[];
  bodyLimitBytes: number;
  /** Which request records the `logs` collection keeps (LOG_STORED_REQUESTS). */
  storedRequests: 'errors' | 'all' | 'none';
}

export function createHttpApp(settings: HttpSettings, metrics: Metrics) {
  const app: Express = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.trustProxy);
  app.set('query parser', 'simple');
  app.use(requestContext(settings.instanceId));
  app.use(requestMetrics(metrics, settings.storedRequests));
  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  app.use(noStore);
  app.use(cors(settings.corsOrigins));
  app.use(cookieParser());
  app.use(express.json({ limit: settings.bodyLimitBytes, strict: true, type: ['application/json', 'application/*+json'] }));

  return {
    app,
    mount(...routers: Router[]) {
      for (const router of routers) app.use(router);
    },
    finish() {
      app.use(notFoundHandler);
      app.use(errorHandler);
    },
  };
}
