import { mkdtemp, mkdir, readFile, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from '../../src/infra/postgres/client.js';
import { DEFAULT_MIGRATIONS_DIR, applyMigrations } from '../../src/infra/postgres/migrate.js';
import { services } from '../support/env.js';

/** Each test gets a fresh database on the real Postgres server. */
async function freshDatabase(): Promise<string> {
  const name = `cobalt_mig_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  created.push(name);
  const url = new URL(services.databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
const created: string[] = [];

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('SQL migrations applied without the schema engine', () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase();
  });
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: services.databaseUrl });
    await admin.connect();
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('when three instances migrate at once, then each migration is applied exactly once', async () => {
    const results = await Promise.all([applyMigrations(url), applyMigrations(url), applyMigrations(url)]);
    const appliedBy = results.filter((r) => r.applied.length > 0);
    expect(appliedBy).toHaveLength(1);
    expect(appliedBy[0]!.applied).toContain('20261122000000_init');
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations"',
    );
    expect(rows).toHaveLength(appliedBy[0]!.applied.length);
    const sql = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, '20261122000000_init', 'migration.sql'));
    const init = rows.find((r) => r.migration_name === '20261122000000_init')!;
    // The same checksum Prisma Migrate records, so `prisma migrate status` agrees.
    expect(init.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
    expect(init.finished_at).not.toBeNull();
    expect(init.applied_steps_count).toBe(1);
  });

  it('when migrations run again, then nothing is applied', async () => {
    const again = await applyMigrations(url);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toContain('20261122000000_init');
  });

  it('when the migrated database is used by the generated client, then every model is written and read back', async () => {
    const prisma = createPrismaClient(url);
    try {
      const user = await prisma.user.create({ data: { email: `m-${randomUUID()}@example.test`, name: 'M', passwordHash: 'h' } });
      const session = await prisma.session.create({ data: { userId: user.id, device: 'laptop' } });
      const token = await prisma.refreshToken.create({ data: { sessionId: session.id, tokenHash: randomUUID(), expiresAt: new Date(Date.now() + 1000) } });
      const read = await prisma.user.findUniqueOrThrow({ where: { id: user.id }, include: { sessions: { include: { refreshTokens: true } } } });
      expect(read.email).toBe(user.email);
      expect(read.updatedAt).toBeInstanceOf(Date);
      expect(read.sessions[0]).toMatchObject({ id: session.id, device: 'laptop', revokedAt: null });
      expect(read.sessions[0]!.refreshTokens[0]).toMatchObject({ id: token.id, usedAt: null });
      await expect(prisma.user.create({ data: { email: user.email, name: 'dup', passwordHash: 'h' } })).rejects.toMatchObject({ code: 'P2002' });
      await prisma.user.delete({ where: { id: user.id } });
      expect(await prisma.refreshToken.count({ where: { id: token.id } })).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('when an applied migration was edited, then migrating refuses to continue', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cobalt-mig-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    const file = path.join(dir, '20261122000000_init', 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited\n`);
    await expect(applyMigrations(url, dir)).rejects.toThrow(/was modified after it was applied/);
  });

  it('when a new migration fails half-way, then none of it is kept and it is not recorded', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cobalt-mig-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await mkdir(path.join(dir, '20990101000000_broken'));
    await writeFile(path.join(dir, '20990101000000_broken', 'migration.sql'), 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n');
    await expect(applyMigrations(url, dir)).rejects.toThrow(/20990101000000_broken failed/);
    expect(await query(url, "SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
    expect(await query(url, `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '20990101000000_broken'`)).toEqual([]);
  });
});
