import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeProgram, repoModule, ROOT, runModule, scratch } from './support.js';

const dir = scratch();

/**
 * The installer's FerretDB step in a checkout at `root` that has no FerretDB built yet, with the
 * `go` in `bin` first on PATH. A `go` that reports `version` and records how anything else was
 * run (then fails) shows what the build would have been given.
 */
async function buildFerretdbWith(goVersion: string) {
  const root = dir(`checkout-${goVersion}`);
  cpSync(join(ROOT, 'tools', 'ferretdb'), join(root, 'tools', 'ferretdb'), { recursive: true });
  const bin = dir(`go-${goVersion}`);
  fakeProgram(
    bin,
    'go',
    `[ "$1" = "version" ] && { echo "go version go${goVersion} linux/amd64"; exit 0; }\necho "go $* GOTOOLCHAIN=$GOTOOLCHAIN" >> ${join(bin, 'calls')}\nexit 1`,
  );
  const run = await runModule(
    `import { setup } from ${repoModule('scripts', 'setup', 'install.mjs')};\nawait setup({ root: ${JSON.stringify(root)}, apt: false, npm: false, build: false });`,
    {
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: root },
    },
  );
  const calls = () => readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n');
  return { run, calls };
}

describe('building FerretDB (it needs Go 1.24 or newer)', () => {
  it('when go is older than 1.21, then setup stops with a message that says which Go it found and what to install', async () => {
    const { run } = await buildFerretdbWith('1.19.8');

    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('FerretDB v1.24.2 (the MongoDB-wire server used when no mongod is on PATH) needs Go 1.24.0 or newer, but');
    expect(run.output).toContain('is go1.19.8. Install Go 1.24.0 or newer (Go 1.21+ is enough: it fetches Go 1.24.0 itself, through the module proxy)');
  });

  it('when go is 1.21 or newer but older than 1.24, then it builds with Go 1.24 fetched by go itself (GOTOOLCHAIN)', async () => {
    const { run, calls } = await buildFerretdbWith('1.22.5');

    expect(run.code).toBe(1); // the stand-in go builds nothing
    expect(calls()[0]).toBe('go mod vendor GOTOOLCHAIN=go1.24.0+auto');
  });

  it('when go is new enough, then it builds with it, and may fetch a newer one only if a module asks for it', async () => {
    const { calls } = await buildFerretdbWith('1.26.0');

    expect(calls()[0]).toBe('go mod vendor GOTOOLCHAIN=auto');
  });
});
