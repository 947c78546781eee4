#!/usr/bin/env node
// `prisma generate` for backend/, working offline.
//
// The Prisma CLI wants to download its native schema engine even for `generate`, which fails
// without internet. The client generator itself is WASM, so pointing PRISMA_SCHEMA_ENGINE_BINARY
// at any existing file lets `generate` finish. An engine path already set in the environment wins.
//
//   node scripts/prisma-generate.mjs [extra prisma generate args]
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const backendDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'backend');
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/false';
env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1';
env.CHECKPOINT_DISABLE ??= '1';

const res = spawnSync('npx', ['--no', 'prisma', 'generate', ...process.argv.slice(2)], { cwd: backendDir, env, stdio: 'inherit' });
if (res.error) {
  console.error(`prisma generate: ${res.error.message}`);
  process.exit(1);
}
process.exit(res.status ?? 1);
