import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The unprivileged user the non-root paths run as. */
export const NOBODY = { uid: 65534, gid: 65534 };

/**
 * A scratch directory for the calling test file, world-readable (the non-root runs read it),
 * removed after its tests. Returns a function that makes a fresh subdirectory in it.
 */
export function scratch(): (name: string) => string {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cobalt-scripts-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (name) => {
    const sub = join(dir, name);
    mkdirSync(sub, { recursive: true, mode: 0o777 });
    chmodSync(sub, 0o777);
    return sub;
  };
}

/** Writes an executable shell script `name` into `dir`, standing in for a real program. */
export function fakeProgram(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

export interface Finished {
  code: number | null;
  output: string;
  ms: number;
}

/** Whether every directory from `dir` up to `/` is searchable by any user. */
function searchableByOthers(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

let copyForOthers: string | undefined;
/**
 * Where another user can import the repository's scripts from: the checkout itself, or, when it
 * lies under a directory only its owner may enter (a clone in `mktemp -d`, a private home), a
 * world-readable copy of its `scripts/`, made once and removed when the tests exit.
 */
function rootForOthers(): string {
  if (searchableByOthers(ROOT)) return ROOT;
  if (!copyForOthers) {
    const copy = mkdtempSync(join(tmpdir(), 'cobalt-scripts-root-'));
    chmodSync(copy, 0o755);
    cpSync(join(ROOT, 'scripts'), join(copy, 'scripts'), { recursive: true });
    process.once('exit', () => rmSync(copy, { recursive: true, force: true }));
    copyForOthers = copy;
  }
  return copyForOthers;
}

/**
 * Runs `source` (an ES module, whose relative imports resolve from the repository root) in a
 * fresh Node process with exactly `env`, in a session of its own (no terminal), optionally as
 * another user; killed after `timeoutMs`.
 */
export function runModule(
  source: string,
  { env, user, timeoutMs = 60_000 }: { env: NodeJS.ProcessEnv; user?: { uid: number; gid: number }; timeoutMs?: number },
): Promise<Finished> {
  const started = Date.now();
  // Run as another user, the repository's modules (named by repoModule) come from where that user can read them.
  const root = user ? rootForOthers() : ROOT;
  const code = root === ROOT ? source : source.split(ROOT).join(root);
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...user });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
  return new Promise((resolvePromise) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output, ms: Date.now() - started });
    }),
  );
}

/** A module path for runModule's imports, from the repository root. */
export const repoModule = (...parts: string[]) => JSON.stringify(join(ROOT, ...parts));
