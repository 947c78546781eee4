// Open-file limits: ten thousand sockets through Caddy need about twenty thousand descriptors in
// Caddy alone, and every process of the cluster inherits the limit of the bench that starts it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const WANT_OPEN_FILES = 65_536;

export function openFilesLimit() {
  const m = /Max open files\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m?.[1] === 'unlimited' ? Infinity : Number(m?.[1] ?? 1024);
}

/**
 * When the limit is lower than wanted, runs `scriptUrl` again (same arguments) under a shell that
 * raised it as far as the hard limit allows, and returns true: the caller then does nothing else.
 */
export function reexecWithMoreFiles(scriptUrl) {
  if (openFilesLimit() >= WANT_OPEN_FILES || process.env.BENCH_FILES_RAISED) return false;
  const script = `ulimit -n ${WANT_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const child = spawn('/bin/sh', ['-c', script, process.execPath, fileURLToPath(scriptUrl), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_FILES_RAISED: '1' },
  });
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, sig) => process.exit(code ?? (sig ? 1 : 0)));
  return true;
}
