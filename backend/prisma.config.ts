import { defineConfig } from 'prisma/config';

// The CLI reads the connection from here; the running server connects through the
// node-postgres driver adapter (src/infra/postgres/client.ts). `prisma generate` needs no database.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://cobalt@127.0.0.1:5432/cobalt' },
});
