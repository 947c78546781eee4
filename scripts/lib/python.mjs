// A Python that can run pip, for the PyPI check tools.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall } from './apt.mjs';
import { which } from './executables.mjs';

const hasPip = (python) => spawnSync(python, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0;

/** A virtual environment at `dir` made by `python`, which brings pip along; false when venv is missing. */
function createVenv(python, dir) {
  const made = spawnSync(python, ['-m', 'venv', '--clear', dir], { stdio: 'ignore' }).status === 0;
  return made && hasPip(join(dir, 'bin', 'python3'));
}

/**
 * python3 when it has pip; else python3 of a virtual environment at `venvDir`. Debian and Ubuntu
 * ship python3 without pip, and without the venv module (package python3-venv), which is
 * installed with apt when missing.
 * @param {string} venvDir
 * @param {(line: string) => void} [say]
 */
export function pythonWithPip(venvDir, say = () => undefined) {
  if (!which('python3')) {
    say('apt-get install python3 python3-venv');
    aptInstall(['python3', 'python3-venv'], { what: 'python3 is needed to install the PyPI check tools' });
  }
  const python = which('python3');
  if (!python) throw new Error('python3 is still missing after apt-get install python3');
  if (hasPip(python)) return python;
  const venvPython = join(venvDir, 'bin', 'python3');
  if (existsSync(venvPython) && hasPip(venvPython)) return venvPython;
  say(`${python} has no pip: a virtual environment in ${venvDir}`);
  if (createVenv(python, venvDir)) return venvPython;
  say('apt-get install python3-venv');
  aptInstall(['python3-venv'], { what: `${python} has neither pip nor venv (python3-venv), needed for the PyPI check tools` });
  if (createVenv(python, venvDir)) return venvPython;
  throw new Error(`${python} -m venv ${venvDir} still fails after apt-get install python3-venv`);
}
