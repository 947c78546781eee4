import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findChromium } from '../../scripts/lib/executables.mjs';
import { chromiumPackage } from '../../scripts/setup/system-packages.mjs';
import { fakeProgram, repoModule, runModule, scratch } from './support.js';

const dir = scratch();
const working = (bin: string, name: string) => fakeProgram(bin, name, 'echo "Chromium 140.0.7339.80 snap"');
// What Ubuntu's chromium-browser package leaves where snapd cannot run.
const snapStub = (bin: string, name: string) => fakeProgram(bin, name, `echo "Command '/usr/bin/${name}' requires the chromium snap to be installed." >&2; exit 1`);

describe('Chromium, wherever the system has it', () => {
  it("when it is Ubuntu's chromium-browser on PATH, then the browser tests use it", () => {
    const bin = dir('ubuntu');
    const browser = working(bin, 'chromium-browser');
    expect(findChromium({ env: { PATH: bin }, paths: [] })).toBe(browser);
  });

  it('when chromium-browser on PATH is only the stub asking for the snap, then the snap itself is found', () => {
    const bin = dir('stub');
    const snapBin = dir('snap-bin');
    snapStub(bin, 'chromium-browser');
    const snap = working(snapBin, 'chromium');
    expect(findChromium({ env: { PATH: bin }, paths: [join(snapBin, 'chromium')] })).toBe(snap);
  });

  it('when COBALT_CHROMIUM names one, then that one is used, and only if it starts', () => {
    const bin = dir('chosen');
    const chosen = working(bin, 'my-chrome');
    working(bin, 'chromium');
    expect(findChromium({ env: { PATH: bin, COBALT_CHROMIUM: chosen }, paths: [] })).toBe(chosen);
    expect(findChromium({ env: { PATH: bin, COBALT_CHROMIUM: join(bin, 'missing') }, paths: [] })).toBeNull();
  });

  it('when there is none, then none is found', () => {
    expect(findChromium({ env: { PATH: dir('empty') }, paths: [] })).toBeNull();
  });

  it('when apt must install it, then the package is chromium on Debian and chromium-browser on Ubuntu', () => {
    expect(chromiumPackage(['debian'])).toBe('chromium');
    expect(chromiumPackage(['ubuntu', 'debian'])).toBe('chromium-browser');
  });

  it('when the system has no Chromium, then only the browser tests ask apt for it: npm start does not', async () => {
    const missing = (browser: boolean) =>
      runModule(
        `import { detectMissingApt } from ${repoModule('scripts', 'setup', 'system-packages.mjs')};\nconsole.log(JSON.stringify(detectMissingApt({ browser: ${browser} }).map((m) => m.why)));`,
        {
          env: { PATH: process.env.PATH, COBALT_CHROMIUM: '/nonexistent/chromium' },
        },
      );
    const forStart = await missing(false);
    const forTests = await missing(true);
    expect(JSON.parse(forStart.output)).not.toContain('Chromium (browser tests)');
    expect(JSON.parse(forTests.output)).toContain('Chromium (browser tests)');
  });
});
