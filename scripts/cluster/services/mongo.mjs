import { join } from 'node:path';
import { DB_USER, socketDirFor } from '../postgres.mjs';
import { mongoPing } from '../probes.mjs';
import { runPostgresServer } from './postgres.mjs';

/**
 * The MongoDB-wire server: mongod, or FerretDB. FerretDB keeps its data in a PostgreSQL server
 * of its own (`mongo-store`, socket only, started first), apart from the cluster's: a Postgres
 * outage must not take the todo store with it, as in production where MongoDB is a separate
 * server. Its PostgreSQL handler pushes filters, sorts and limits down to SQL; the SQLite handler
 * decodes every document of a collection per query.
 */
export async function startMongo(ctx) {
  const { sup, dataDir, ports, programs, pgReachable, abort } = ctx;
  const mongoDir = join(dataDir, 'mongo');
  if (programs.mongo.kind === 'ferretdb') {
    await sup.define('mongo-store', () => runPostgresServer(ctx, { name: 'mongo-store', pgDir: join(mongoDir, 'postgres'), port: ports.mongo, database: 'ferretdb', tcp: false }));
  }
  return sup.define('mongo', async () => {
    let mongoProc;
    if (programs.mongo.kind === 'mongod') {
      mongoProc = sup.spawn('mongo', programs.mongo.bin, ['--dbpath', mongoDir, '--port', String(ports.mongo), '--bind_ip', '127.0.0.1', '--quiet']);
    } else {
      const url = `postgres://${DB_USER}@/ferretdb?host=${socketDirFor(dataDir, ports.mongo, pgReachable)}&port=${ports.mongo}`;
      mongoProc = sup.spawn('mongo', programs.mongo.bin, [
        '--handler=postgresql',
        `--postgresql-url=${url}`,
        `--listen-addr=127.0.0.1:${ports.mongo}`,
        `--state-dir=${mongoDir}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=warn',
      ]);
    }
    await sup.waitFor('mongo', () => mongoPing(ports.mongo), { svc: mongoProc, abort });
    return mongoProc;
  });
}
