import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeProgram, NOBODY, repoModule, runModule, scratch } from './support.js';

const dir = scratch();

/** The installer's apt step alone, as `nobody`, on a PATH with only `bin`: redis-server, caddy and prometheus are missing there. */
const aptStep = (bin: string) =>
  runModule(`import { setup } from ${repoModule('scripts', 'setup', 'install.mjs')};\nawait setup({ mongo: false, npm: false, build: false });`, {
    env: { PATH: bin, HOME: '/tmp' },
    user: NOBODY,
    timeoutMs: 30_000,
  });

describe('apt-get as a user who is not root', () => {
  it('when sudo would ask for a password and there is no terminal, then setup stops at once and names the command to run', async () => {
    const bin = dir('prompting-sudo');
    // Like sudo with a password set: -n refuses, anything else sits at the prompt.
    fakeProgram(bin, 'sudo', `echo "$*" >> ${join(bin, 'calls')}\n[ "$1" = "-n" ] && { echo "sudo: a password is required" >&2; exit 1; }\nsleep 600`);

    const run = await aptStep(bin);

    expect(run.code, run.output).toBe(1);
    expect(run.ms).toBeLessThan(10_000);
    expect(run.output).toContain('sudo needs a password and there is no terminal to type it in');
    expect(run.output).toContain('Run: sudo apt-get update && sudo apt-get install -y redis-server caddy prometheus');
    expect(readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n')).toEqual(['-n true']);
  });

  it('when sudo needs no password, then apt-get runs through sudo -n, never waiting for a prompt', async () => {
    const bin = dir('passwordless-sudo');
    fakeProgram(bin, 'sudo', `echo "$*" >> ${join(bin, 'calls')}`);

    const run = await aptStep(bin);

    // The fake installs nothing, so the step ends saying what is still missing.
    expect(run.output).toContain('apt-get install finished but still missing: redis-server, caddy, prometheus + promtool');
    expect(readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n')).toEqual([
      '-n true',
      '-n apt-get update',
      '-n env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server caddy prometheus',
    ]);
  });

  it('when there is no sudo, then setup says what to run as root', async () => {
    const run = await aptStep(dir('no-sudo'));

    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('not root and no sudo. As root, run: apt-get update && apt-get install -y redis-server caddy prometheus');
  });
});
