// PostgreSQL servers: the cluster's own (`postgres`), and FerretDB's store (`mongo-store`, see mongo.mjs).
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPostgresBin } from '../../lib/executables.mjs';
import { DB_NAME, DB_USER, postgresDataDir, postgresIdentity, psql, socketDirFor } from '../postgres.mjs';
import { tail } from '../supervisor.mjs';

/**
 * Runs a PostgreSQL server as service `name`: initdb on first use, then postgres, ready once it
 * answers and `database` exists. `tcp: false` listens on its Unix socket only (`port` then just
 * names the socket file).
 */
export async function runPostgresServer({ sup, dataDir, pgReachable: reachable, abort }, { name, pgDir: linkDir, port, database = DB_NAME, tcp = true }) {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (run node scripts/setup.mjs)');
  const who = postgresIdentity();
  const pgDir = postgresDataDir(dataDir, linkDir, reachable);
  const runDir = socketDirFor(dataDir, port, reachable);
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  mkdirSync(runDir, { recursive: true });
  if (who) {
    chownSync(pgDir, who.uid, who.gid);
    chownSync(runDir, who.uid, who.gid);
  }
  chmodSync(pgDir, 0o700);
  const asUser = who ? { uid: who.uid, gid: who.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };

  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    const initName = `${name === 'postgres' ? '' : `${name}-`}initdb`;
    const init = await sup.runOnce(initName, join(bin, 'initdb'), ['-D', pgDir, '-U', DB_USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
      env,
      ...asUser,
    });
    if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}). Last lines of ${init.logFile}:\n${tail(init.logFile)}`);
    // Listening on 127.0.0.1 (or no TCP at all); trust is limited to loopback and the private socket dir.
    writeFileSync(join(pgDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n');
    if (who) chownSync(join(pgDir, 'pg_hba.conf'), who.uid, who.gid);
  }

  const svc = sup.spawn(name, join(bin, 'postgres'), ['-D', pgDir, '-p', String(port), '-h', tcp ? '127.0.0.1' : '', '-k', runDir], { env, ...asUser });
  const server = { host: tcp ? '127.0.0.1' : runDir, port, database: 'postgres' };
  await sup.waitFor(
    name,
    () =>
      psql(server, ['-tAc', 'SELECT 1']).then(
        () => true,
        () => false,
      ),
    { timeoutMs: 30_000, svc, abort },
  );
  const { stdout } = await psql(server, ['-tAc', `SELECT 1 FROM pg_database WHERE datname = '${database}'`]);
  if (stdout.trim() !== '1') await psql(server, ['-tAc', `CREATE DATABASE ${database}`]);
  return svc;
}

/** The cluster's PostgreSQL: users, sessions and refresh tokens. */
export function startPostgres(ctx) {
  return ctx.sup.define('postgres', () => runPostgresServer(ctx, { name: 'postgres', pgDir: join(ctx.dataDir, 'postgres'), port: ctx.ports.postgres }));
}
