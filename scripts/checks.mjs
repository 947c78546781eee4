#!/usr/bin/env node
// The static checks: ESLint, Prettier's check and TypeScript over every project of the repo.
// `npm test` runs them all before Vitest and counts each one as a test; `npm run typecheck` runs
// the type checks alone.
//
//   node scripts/checks.mjs [lint|format|typecheck ...]   (none: all of them)
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/root.mjs';

const bin = (pkg, file) => join(ROOT, 'node_modules', pkg, file);
const CACHE = join(ROOT, 'node_modules', '.cache');

/** Every TypeScript project, by its tsconfig: the workspaces, the SDK's tests, tests/, bench/ (checkJs) and the root configs. */
export const TYPE_PROJECTS = [
  'packages/contract/tsconfig.json',
  'packages/client/tsconfig.json',
  'packages/client/test/tsconfig.json',
  'packages/cli/tsconfig.json',
  'packages/graphiql/tsconfig.json',
  'backend/tsconfig.json',
  'frontend/tsconfig.json',
  'tests/tsconfig.json',
  'bench/tsconfig.json',
  'tsconfig.json',
];

/**
 * @typedef {{ name: string, group: 'lint' | 'format' | 'typecheck', args: string[] }} Check
 * @typedef {{ name: string, ok: boolean, output: string, ms: number }} CheckResult
 */

/** @type {Check[]} */
export const CHECKS = [
  // The cache lives under node_modules/.cache; `content` so a checkout that only touches mtimes keeps it.
  {
    name: 'lint',
    group: 'lint',
    args: [bin('eslint', 'bin/eslint.js'), '.', '--max-warnings', '0', '--cache', '--cache-strategy', 'content', '--cache-location', join(CACHE, 'eslint/')],
  },
  { name: 'format', group: 'format', args: [bin('prettier', 'bin/prettier.cjs'), '--check', '.', '--cache', '--cache-location', join(CACHE, 'prettier/cache.json')] },
  ...TYPE_PROJECTS.map((project) => ({
    name: `typecheck ${project}`,
    group: /** @type {const} */ ('typecheck'),
    args: [bin('typescript', 'bin/tsc'), '-p', project, '--noEmit'],
  })),
];

/** @param {Check} check @returns {Promise<CheckResult>} */
function runCheck(check) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, check.args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    child.on('error', (error) => resolve({ name: check.name, ok: false, output: error.message, ms: Date.now() - started }));
    child.on('close', (code) => resolve({ name: check.name, ok: code === 0, output: output.trimEnd(), ms: Date.now() - started }));
  });
}

/**
 * Runs the checks two at a time (the machines have two cores), each one's output kept apart and
 * handed to `report` when it ends. A pool of two needs no library.
 * @param {Check[]} checks
 * @param {(result: CheckResult) => void} report
 * @returns {Promise<CheckResult[]>}
 */
export async function runChecks(checks, report = printResult) {
  const queue = [...checks];
  /** @type {CheckResult[]} */
  const results = [];
  const worker = async () => {
    for (let check = queue.shift(); check; check = queue.shift()) {
      const result = await runCheck(check);
      results.push(result);
      report(result);
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

/** @param {CheckResult} result */
export function printResult(result) {
  const verdict = result.ok ? 'passed' : 'FAILED';
  const lines = [`── check ${result.name}: ${verdict} in ${(result.ms / 1000).toFixed(1)} s`];
  if (result.output) lines.push(result.output.replace(/^/gm, '   '));
  (result.ok ? console.log : console.error)(lines.join('\n'));
}

async function main() {
  const groups = process.argv.slice(2);
  const unknown = groups.filter((group) => !['lint', 'format', 'typecheck'].includes(group));
  if (unknown.length) {
    console.error(`unknown check group: ${unknown.join(', ')} (known: lint, format, typecheck)`);
    process.exit(2);
  }
  const chosen = CHECKS.filter((check) => groups.length === 0 || groups.includes(check.group));
  const results = await runChecks(chosen);
  const failed = results.filter((result) => !result.ok);
  console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
  process.exit(failed.length ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
