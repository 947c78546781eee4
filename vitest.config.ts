import { defineConfig } from 'vitest/config';

/**
 * One runner for the whole repo. `npm test` (scripts/test.mjs) starts the real services and
 * the local cluster first, then runs every project here.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['backend/test/unit/**/*.test.ts'], environment: 'node', env: { LOG_LEVEL: 'error' } },
      },
      {
        test: {
          name: 'integration',
          include: ['backend/test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
          hookTimeout: 60_000,
          // Files share one Postgres/MongoDB/Redis; each uses its own users, so files may run in parallel.
          fileParallelism: true,
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['tests/cluster/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
