import { spawn, spawnSync } from 'node:child_process';
import { ROOT } from './root.mjs';

/**
 * Runs a command to its end and throws when it fails. `quiet`: its output is captured instead of
 * shown, returned, and its last 30 lines put in the error.
 */
export function run(cmd, args, { cwd = ROOT, env = process.env, quiet = false } = {}) {
  const res = spawnSync(cmd, args, { cwd, env, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw new Error(`${cmd} ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0) {
    const out = quiet ? `\n${(res.stdout ?? '') + (res.stderr ?? '')}`.trimEnd().split('\n').slice(-30).join('\n') : '';
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}${out}`);
  }
  return res.stdout ?? '';
}

/**
 * Runs a command on this terminal without blocking this process (its signal handlers keep
 * working meanwhile); resolves with the exit code.
 */
export function runToExit(cmd, args, { cwd = ROOT, env = process.env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: 'inherit' });
    child.on('error', () => resolve(127));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
