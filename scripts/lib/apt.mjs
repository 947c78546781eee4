// apt-get, run as root or through sudo.
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
  const prefix = process.getuid?.() === 0 ? [] : which('sudo') ? ['sudo'] : null;
  if (prefix === null) throw new Error(`${what}; not root and no sudo: apt-get install -y ${packages.join(' ')}`);
  for (const argv of aptCommands(packages, prefix)) run(argv[0], argv.slice(1));
}
