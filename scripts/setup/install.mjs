// Everything the local cluster needs, installed and built when missing or out of date.
import { resolve } from 'node:path';
import { findPostgresBin, mongoServer } from '../lib/executables.mjs';
import { ROOT } from '../lib/root.mjs';
import { buildWorkspaces, installNpmDependencies } from './builds.mjs';
import { ensureMongoServer } from './ferretdb.mjs';
import { installSystemPackages } from './system-packages.mjs';

/**
 * @param {object} [opts]
 * @param {string} [opts.root]          repository root
 * @param {boolean} [opts.dryRun]       detect and print what would be done, change nothing
 * @param {boolean} [opts.apt=true]     check/install apt packages
 * @param {boolean} [opts.browser]      Chromium too (the browser tests need it; nothing else does)
 * @param {boolean} [opts.mongo=true]   ensure a mongo-wire server (mongod or FerretDB)
 * @param {boolean} [opts.npm=true]     run `npm ci` when needed
 * @param {boolean} [opts.build=true]   build contract, prisma client, backend, frontend
 * @param {boolean} [opts.forceBuild]   rebuild even when outputs look up to date
 * @param {(line: string) => void} [opts.log]
 * @returns {Promise<{ postgresBin: string|null, mongo: { kind: string, bin: string }, actions: string[] }>}
 */
export async function setup(opts = {}) {
  const root = resolve(opts.root ?? ROOT);
  const log = opts.log ?? ((line) => console.log(line));
  const ctx = {
    root,
    log,
    dry: Boolean(opts.dryRun),
    browser: Boolean(opts.browser),
    forceBuild: Boolean(opts.forceBuild),
    actions: [],
    step: (name, msg) => log(`setup ${name.padEnd(9)} ${msg}`),
  };

  if (opts.apt !== false) installSystemPackages(ctx);
  if (opts.mongo !== false) ensureMongoServer(ctx);
  if (opts.npm !== false) installNpmDependencies(ctx);
  if (opts.build !== false) buildWorkspaces(ctx);

  return { postgresBin: findPostgresBin(), mongo: mongoServer(root), actions: ctx.actions };
}
