import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

/**
 * The backend's code and its libraries (Apollo, graphql-ws, @graphql-tools) must share one copy of
 * `graphql`: Node loads its CommonJS entry for the libraries, while Vite would pick the ES module
 * build for our code, and graphql refuses schemas and errors from "another realm".
 */
const oneGraphql = { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] };

/**
 * One runner for the whole repo. `npm test` (scripts/test.mjs) starts the real services and
 * the local cluster first, then runs every project here.
 */
export default defineConfig({
  test: {
    projects: [
      {
        resolve: oneGraphql,
        test: { name: 'unit', include: ['backend/test/unit/**/*.test.ts'], environment: 'node', env: { LOG_LEVEL: 'error' }, setupFiles: ['backend/test/unit/setup.ts'] },
      },
      {
        // The SDK (packages/client) against an in-memory server: no network, no timers unless faked.
        test: { name: 'client', include: ['packages/client/test/**/*.test.ts'], environment: 'node' },
      },
      {
        resolve: oneGraphql,
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
        resolve: oneGraphql,
        test: {
          name: 'cluster',
          include: ['tests/cluster/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // The terminal client (packages/cli, built), spawned against the running cluster through Caddy.
        test: {
          name: 'cli',
          include: ['tests/cli/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // The web app's component and unit tests: React in happy-dom, no server.
        extends: './frontend/vite.config.ts',
        test: {
          name: 'frontend',
          root: './frontend',
          include: ['src/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
          setupFiles: ['./src/testing/setup.ts'],
        },
      },
      {
        // The built web app in Chromium, through Caddy, against the running cluster.
        resolve: oneGraphql,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 90_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          // After the other projects: the one-second live-sync checks should not share two cores with them.
          sequence: { groupOrder: 1 },
        },
      },
      {
        // Faults under load (tests/faults): each file starts a cluster of its own on private ports,
        // kills and restarts its processes, and measures loss, duplicates, reconnects and
        // convergence. Last, alone: it needs both cores and must not overlap the browser tests.
        test: {
          name: 'faults',
          include: ['tests/faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 240_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          env: { LOG_LEVEL: 'error' },
        },
      },
      {
        // A short run of the bench's fan-out and HTTP scenarios (bench/) on a cluster of its own:
        // fails on a lost, duplicated or misdelivered event or any error, never on timing. Last,
        // alone, so its numbers and the other projects' do not share the two cores.
        test: {
          name: 'bench-smoke',
          include: ['tests/bench-smoke/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          // Standalone (`npx vitest run --project bench-smoke`) it installs and builds first.
          hookTimeout: 900_000,
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
      {
        // The two commands on a fresh machine (scripts/): apt through sudo without a terminal, pip
        // missing, an old Go, Chromium wherever it is, Prometheus's port taken, and `npm start`
        // stopped by SIGTERM or Ctrl-C. Fake programs stand in for what this machine has; the
        // clusters it starts are its own (--port-offset 500, .data/scripts-test). After the rest,
        // alone: starting whole clusters should not take the cores from others' timing checks.
        test: {
          name: 'scripts',
          include: ['tests/scripts/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          // Standalone (`npx vitest run --project scripts`) it installs and builds first.
          hookTimeout: 900_000,
          fileParallelism: false,
          sequence: { groupOrder: 4 },
        },
      },
      {
        // The lint's layer rules (eslint.config.mjs) on made-up imports, through ESLint's Node API.
        // Needs no service; a first lint with type information takes a few seconds.
        test: { name: 'lint', include: ['tests/lint/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
      },
      {
        // Deployment, monitoring and scaling files checked with the real tools (caddy, promtool,
        // docker compose, kubeconform, kustomize, hadolint), which its global setup installs when
        // missing. Needs no running service.
        test: {
          name: 'static',
          include: ['tests/static/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/static/global-setup.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
