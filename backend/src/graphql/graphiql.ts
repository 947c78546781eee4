import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { AppError } from '../lib/app-error.js';

/** Where packages/graphiql builds GraphiQL (the same path from backend/src and backend/dist). */
export const GRAPHIQL_DIR = fileURLToPath(new URL('../../../packages/graphiql/dist/', import.meta.url));

/**
 * Development only: GraphiQL at /graphql for a browser (a GET asking for HTML, without a query),
 * its files under /graphql/ide/. It is bundled from npm by packages/graphiql, so it needs no
 * internet; subscriptions run from it over graphql-ws on the same path.
 */
export function createGraphiqlRouter(dir = GRAPHIQL_DIR): Router {
  const router = Router();
  const built = () => existsSync(`${dir}index.html`);
  router.get('/graphql', (req, res, next) => {
    const wantsPage = (req.get('accept') ?? '').includes('text/html') && req.query.query === undefined;
    if (!wantsPage) return next();
    if (!built()) throw new AppError('NOT_FOUND', 'GraphiQL is not built: run npm run build -w packages/graphiql');
    res.sendFile('index.html', { root: dir });
  });
  router.use('/graphql/ide', express.static(dir, { index: false, fallthrough: true }));
  return router;
}
