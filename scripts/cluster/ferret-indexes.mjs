import { socketDirFor, psql } from './postgres.mjs';

/*
 * FerretDB v1 pushes an equality filter down to PostgreSQL as `_jsonb->'field' @> value`, which
 * the B-tree indexes it creates for each MongoDB index cannot serve: every query scans its whole
 * table. Each such index gets a GIN twin over the same fields, which serves `@>`, so a lookup reads
 * only the rows it matches. `logs` is written, never read by a lookup, so it gets none: each index
 * costs every insert. This is the SQL for the schemas `schemaCondition` selects (a condition on
 * `n.nspname`); the bench's scratch database takes it too.
 */
export const ginTwinsSql = (schemaCondition) => `
DO $$
DECLARE r record; cols text;
BEGIN
  FOR r IN
    SELECT n.nspname AS schema, t.relname AS tbl, i.relname AS idx, x.indexrelid AS oid, x.indnatts AS n
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = i.relam
    WHERE am.amname = 'btree' AND ${schemaCondition}
      AND t.relname NOT LIKE '\\_ferretdb\\_%' AND t.relname NOT LIKE 'logs\\_%' AND pg_get_indexdef(x.indexrelid) LIKE '%_jsonb -> %'
  LOOP
    SELECT string_agg('(' || pg_get_indexdef(r.oid, k, true) || ') jsonb_path_ops', ', ' ORDER BY k) INTO cols FROM generate_series(1, r.n) AS k;
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin (%s)', left(r.idx, 55) || '_eq', r.schema, r.tbl, cols);
  END LOOP;
END $$;`;

/** Gives the store's indexes their GIN twins; run once the backends have created their collections and indexes. */
export async function indexFerretStore({ dataDir, ports, pgReachable }) {
  const sql = ginTwinsSql("n.nspname NOT IN ('pg_catalog', 'information_schema', 'public')");
  const store = { host: socketDirFor(dataDir, ports.mongo, pgReachable), port: ports.mongo, database: 'ferretdb', timeout: 60_000 };
  await psql(store, ['-v', 'ON_ERROR_STOP=1', '-c', sql]);
}
