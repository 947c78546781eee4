// `--before <git-ref>`: an earlier build of the backend, run by the same harness in the same run.
// The ref is checked out as a git worktree inside the bench's data dir, so Node and TypeScript
// resolve its dependencies from the repository's node_modules (they walk up the parents), except
// `@cobalt/contract`, which is linked to the worktree's own package. Its Prisma client, contract
// and backend are built with the repository's tools; the built tree is kept for the next run of
// the same commit.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../../scripts/lib/root.mjs';
import { run } from '../../scripts/lib/run.mjs';

const git = (args, opts = {}) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }).trim();

/** One build step with the repository's tools, timed; its output is shown only when it fails. */
function step(cmd, args, { cwd, log, what }) {
  const started = Date.now();
  try {
    run(cmd, args, { cwd, env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' }, quiet: true });
  } catch (error) {
    throw new Error(`${what} failed in ${cwd}:\n${error.message}`);
  }
  log(`  ${what}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Points `link` at `target` (a directory), replacing whatever is there. */
function linkDir(link, target) {
  mkdirSync(dirname(link), { recursive: true });
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === target) return;
    rmSync(link, { recursive: true, force: true });
  } catch {
    // not there yet
  }
  symlinkSync(target, link, 'dir');
}

/**
 * Checks out and builds `ref` under `dir` (reused when it already holds that commit, built).
 * Resolves with the commit, its subject and the backend entry a cluster can run.
 */
/** @param {{ ref: string, dir?: string, log?: (line: string) => void }} opts */
export function prepareBeforeBuild({ ref, dir = join(ROOT, '.data', 'bench', 'before-src'), log = () => undefined }) {
  let commit;
  try {
    commit = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  } catch {
    throw new Error(`--before ${ref}: not a commit of this repository`);
  }
  const subject = git(['log', '-1', '--format=%s', commit]);
  const marker = join(dir, '.bench-built');
  const backendEntry = join(dir, 'backend', 'dist', 'main.js');
  const built = existsSync(marker) && readFileSync(marker, 'utf8').trim() === commit && existsSync(backendEntry);
  if (built) {
    log(`before: ${ref} (${commit.slice(0, 9)}) already built in ${dir}`);
    return { ref, commit, subject, dir, backendEntry, reused: true };
  }
  log(`before: checking out ${ref} (${commit.slice(0, 9)}) in ${dir} and building it`);
  // A worktree left by an earlier run (or its directory, removed with the data dir) goes first.
  if (existsSync(dir)) {
    try {
      git(['worktree', 'remove', '--force', dir]);
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  git(['worktree', 'prune']);
  mkdirSync(dirname(dir), { recursive: true });
  git(['worktree', 'add', '--detach', '--force', dir, commit]);

  // Its own contract package, not the working tree's (which the repository's node_modules links to).
  const contract = join(dir, 'packages', 'contract');
  if (existsSync(join(contract, 'package.json'))) linkDir(join(dir, 'node_modules', '@cobalt', 'contract'), contract);

  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const prisma = join(ROOT, 'node_modules', 'prisma', 'build', 'index.js');
  const generate = join(dir, 'scripts', 'prisma-generate.mjs');
  // The worktree's own script when it has one (it resolves its paths relative to itself); the
  // Prisma CLI it calls through npx is the repository's.
  if (existsSync(generate)) {
    try {
      step(process.execPath, [generate], { cwd: dir, log, what: 'prisma generate' });
    } catch {
      step(process.execPath, [prisma, 'generate'], { cwd: join(dir, 'backend'), log, what: 'prisma generate (repository CLI)' });
    }
  } else if (existsSync(join(dir, 'backend', 'prisma'))) {
    step(process.execPath, [prisma, 'generate'], { cwd: join(dir, 'backend'), log, what: 'prisma generate' });
  }
  if (existsSync(join(contract, 'tsconfig.json'))) step(process.execPath, [tsc, '-p', join(contract, 'tsconfig.json')], { cwd: contract, log, what: 'tsc contract' });
  const backendConfig = existsSync(join(dir, 'backend', 'tsconfig.build.json')) ? 'tsconfig.build.json' : 'tsconfig.json';
  step(process.execPath, [tsc, '-p', join(dir, 'backend', backendConfig)], { cwd: join(dir, 'backend'), log, what: 'tsc backend' });
  if (!existsSync(backendEntry)) throw new Error(`--before ${ref}: the build left no ${backendEntry}`);
  writeFileSync(marker, `${commit}\n`);
  return { ref, commit, subject, dir, backendEntry, reused: false };
}
