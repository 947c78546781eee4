// apt-get, run the way this user can: directly as root, else through sudo, which must never sit
// waiting for a password no one can type.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { which } from './executables.mjs';
import { run } from './run.mjs';

/** The two commands that install `packages`, each behind `prefix` (e.g. ['sudo']). */
export function aptCommands(packages, prefix = process.getuid?.() === 0 ? [] : ['sudo']) {
  return [
    [...prefix, 'apt-get', 'update'],
    [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', ...packages],
  ];
}

/** Installs `packages` with apt-get; `what` says why, in the error when it cannot. */
export function aptInstall(packages, { what = `missing apt packages (${packages.join(' ')})` } = {}) {
  for (const argv of aptCommands(packages, privileges(packages, what))) run(argv[0], argv.slice(1));
}

/** True when this process has a terminal a password prompt could use. */
function hasTerminal() {
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}

function privileges(packages, what) {
  if (process.getuid?.() === 0) return [];
  const byHand = `sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`;
  const sudo = which('sudo');
  if (!sudo) throw new Error(`${what}: not root and no sudo. As root, run: apt-get update && apt-get install -y ${packages.join(' ')}`);
  // `sudo -n` fails at once where sudo would ask for a password.
  if (spawnSync(sudo, ['-n', 'true'], { stdio: 'ignore' }).status === 0) return [sudo, '-n'];
  if (hasTerminal()) return [sudo];
  throw new Error(`${what}: sudo needs a password and there is no terminal to type it in. Run: ${byHand}\nthen run this command again.`);
}
