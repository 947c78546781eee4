// `npm run migrate -w backend`: apply pending migrations once (used by docker compose before the backends start).
// A process entry point, like main.ts: it reads the typed config and hands the store's URL to infra.
import { loadConfig } from './config.js';
import { applyMigrations } from './infra/postgres/migrate.js';

const config = loadConfig();
applyMigrations(config.postgres.url)
  .then((r) => {
    console.log(JSON.stringify({ message: 'migrations applied', applied: r.applied, alreadyApplied: r.alreadyApplied.length }));
  })
  .catch((error: unknown) => {
    console.error(JSON.stringify({ level: 'error', message: 'migration failed', error: (error as Error).message }));
    process.exit(1);
  });
