import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeProgram, NOBODY, repoModule, runModule, scratch } from './support.js';

const dir = scratch();

/** `python3` as a stock Debian has it: no pip (and, with `venv: false`, no venv module either). */
function stockPython(bin: string, { venv }: { venv: boolean }) {
  const refuseVenv = venv ? '' : `[ "$2" = "venv" ] && { echo "The virtual environment was not created successfully because ensurepip is not available." >&2; exit 1; }`;
  fakeProgram(bin, 'python3', `[ "$1" = "-m" ] && [ "$2" = "pip" ] && { echo "/usr/bin/python3: No module named pip" >&2; exit 1; }\n${refuseVenv}\nexec /usr/bin/python3 "$@"`);
}

const installPyYaml = (tools: string) =>
  `import { pipInstall } from ${repoModule('scripts', 'setup', 'check-tools.mjs')};\npipInstall(${JSON.stringify(tools)}, ['PyYAML==6.0.3'], console.log);`;

describe('the PyPI check tools on a python3 without pip', () => {
  it('when python3 has no pip, then they are installed with the pip of a virtual environment in the tools dir', async () => {
    const bin = dir('no-pip');
    const tools = dir('tools');
    stockPython(bin, { venv: true });

    const run = await runModule(installPyYaml(tools), { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: tools }, timeoutMs: 110_000 });

    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`has no pip: a virtual environment in ${join(tools, 'venv')}`);
    expect(existsSync(join(tools, 'venv', 'bin', 'pip'))).toBe(true);
    expect(existsSync(join(tools, 'python', 'yaml', '__init__.py'))).toBe(true);
  });

  it('when python3 has neither pip nor venv and sudo wants a password no one can type, then it stops at once naming the package to install', async () => {
    const bin = dir('no-venv');
    stockPython(bin, { venv: false });
    fakeProgram(bin, 'sudo', '[ "$1" = "-n" ] && exit 1\nsleep 600');

    const run = await runModule(installPyYaml(dir('tools-no-venv')), { env: { PATH: bin, HOME: '/tmp' }, user: NOBODY, timeoutMs: 30_000 });

    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('has neither pip nor venv (python3-venv)');
    expect(run.output).toContain('Run: sudo apt-get update && sudo apt-get install -y python3-venv');
  });
});
