#!/usr/bin/env node
// Idempotent installer for the local (Docker-free) Cobalt cluster and its tests.
//
//   node scripts/setup.mjs [--dry-run] [--skip-apt] [--skip-browser] [--skip-mongo] [--skip-npm] [--skip-build] [--force-build]
//
// Steps, each printed as one line (scripts/setup/):
//   1. apt:    PostgreSQL server, Redis, Caddy, Prometheus + promtool, and Chromium for the browser
//              tests (found wherever the system has it; `npm start` does not ask for it)
//   2. mongo:  `mongod` from PATH, else FerretDB v1.24.2 built into .tools/bin/ferretdb
//   3. npm:    `npm ci` when node_modules is missing or older than package-lock.json
//   4. build:  contract -> client SDK -> cli -> prisma generate -> backend -> frontend, each skipped when up to date
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup/install.mjs';

const USAGE = 'usage: node scripts/setup.mjs [--dry-run] [--skip-apt] [--skip-browser] [--skip-mongo] [--skip-npm] [--skip-build] [--force-build]';

function parseArgs(argv) {
  const known = new Set(['--dry-run', '--skip-apt', '--skip-browser', '--skip-npm', '--skip-build', '--skip-mongo', '--force-build', '--help', '-h']);
  for (const a of argv) if (!known.has(a)) throw new Error(`unknown option ${a} (try --help)`);
  return {
    help: argv.includes('--help') || argv.includes('-h'),
    dryRun: argv.includes('--dry-run'),
    apt: !argv.includes('--skip-apt'),
    browser: !argv.includes('--skip-browser'),
    npm: !argv.includes('--skip-npm'),
    build: !argv.includes('--skip-build'),
    mongo: !argv.includes('--skip-mongo'),
    forceBuild: argv.includes('--force-build'),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) console.log(USAGE);
    else await setup(args);
  } catch (err) {
    console.error(`setup failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
