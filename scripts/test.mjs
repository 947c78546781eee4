#!/usr/bin/env node
// `npm test`: installs and starts what the suite needs (Postgres, Redis, the MongoDB-wire
// server, three backends, Caddy, Prometheus) as a cluster of its own on test ports under
// .data/test, runs every Vitest project against it, stops it, and ends with one summary line.
// The static checks (scripts/checks.mjs: ESLint, Prettier, every type check) run while the
// cluster starts; each counts as one test in that line. COBALT_TEST_CHECKS=0 leaves them out.
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS, runChecks } from './checks.mjs';
import { startCluster } from './cluster/start.mjs';
import { ROOT } from './lib/root.mjs';
import { runToExit } from './lib/run.mjs';
import { setup } from './setup/install.mjs';

const TEST_PORTS = {
  http: Number(process.env.COBALT_TEST_HTTP_PORT ?? 18080),
  backends: (process.env.COBALT_TEST_BACKEND_PORTS ?? '13001,13002,13003').split(',').map(Number),
  postgres: Number(process.env.COBALT_TEST_POSTGRES_PORT ?? 15432),
  redis: Number(process.env.COBALT_TEST_REDIS_PORT ?? 16379),
  mongo: Number(process.env.COBALT_TEST_MONGO_PORT ?? 17017),
  prometheus: Number(process.env.COBALT_TEST_PROMETHEUS_PORT ?? 19090),
};
const dataDir = join(ROOT, '.data', 'test');
const reportFile = join(dataDir, 'vitest-report.json');
const vitestArgs = process.argv.slice(2);

function summary() {
  if (!existsSync(reportFile)) return null;
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + (report.numTodoTests ?? 0) };
}

async function main() {
  // The browser tests need Chromium; nothing else does.
  await setup({ browser: true, log: (line) => console.log(line) });
  // A fresh data directory each run: the suite never depends on what an earlier run left.
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  // Started before the cluster (they need none of it) and awaited after it is up.
  const checks = process.env.COBALT_TEST_CHECKS === '0' ? Promise.resolve([]) : runChecks(CHECKS);

  console.log('starting the test cluster ...');
  const cluster = await startCluster({
    dataDir,
    ports: TEST_PORTS,
    setup: false,
    owner: 'npm-test',
    // Suites register many users from one address; the limiter itself is tested on its own.
    // Introspection on, as a consumer's tools expect it where it is allowed (graphql-http's audits,
    // Schemathesis); that production keeps it off is tested on an instance of its own.
    env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000', GRAPHQL_INTROSPECTION: 'true', LOG_LEVEL: 'warn' },
    log: (line) => console.log(`  ${line}`),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await cluster.stop();
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      void stop().finally(() => process.exit(130));
    });
  }
  console.log(`test cluster ready in ${(cluster.startedInMs / 1000).toFixed(1)} s at ${cluster.urls.public}`);

  const env = {
    ...process.env,
    COBALT_TEST_DATABASE_URL: cluster.urls.postgres,
    COBALT_TEST_MONGO_URL: cluster.urls.mongo,
    COBALT_TEST_REDIS_URL: cluster.urls.redis,
    COBALT_TEST_HTTP_URL: cluster.urls.public,
    COBALT_TEST_BACKEND_URLS: cluster.urls.backends.join(','),
    COBALT_TEST_PROMETHEUS_URL: cluster.urls.prometheus,
    COBALT_TEST_JWT_SECRET: cluster.backendEnv.JWT_SECRET,
    LOG_LEVEL: 'error',
  };

  const checkResults = await checks;
  const failedChecks = checkResults.filter((result) => !result.ok).map((result) => result.name);
  if (failedChecks.length) console.error(`failed checks: ${failedChecks.join(', ')}`);
  let code = failedChecks.length ? 1 : 0;
  const vitestCode = await runToExit(
    process.execPath,
    [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...vitestArgs],
    { env },
  );
  code ||= vitestCode;
  await stop();

  const passedChecks = checkResults.length - failedChecks.length;
  const counts = summary();
  if (!counts) {
    console.log(`${passedChecks} passed, ${failedChecks.length + 1} failed`);
    process.exit(code || 1);
  }
  counts.passed += passedChecks;
  counts.failed += failedChecks.length;
  // The last line is the runner's verdict, in the plain form CI reads.
  console.log(`${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
  process.exit(code || (counts.failed > 0 ? 1 : 0));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
