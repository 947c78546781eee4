import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../scripts/lib/processes.mjs';
import { setup } from '../../scripts/setup/install.mjs';
import { ROOT } from './support.js';

/** Added to every default port: Caddy 8580, Prometheus 9590, PostgreSQL 55932, ... (backends 3501-3503). */
const OFFSET = Number(process.env.COBALT_SCRIPTS_TEST_PORT_OFFSET ?? 500);
const dataDir = join(ROOT, '.data', 'scripts-test');

interface NpmStart {
  pid: number;
  output: () => string;
  exit: Promise<number | null>;
}

/** `npm start` as a user types it, with no terminal, in a process group of its own. */
function npmStart(...args: string[]): NpmStart {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^COBALT_.*_PORTS?$|^COBALT_DATA_DIR$/.test(key)));
  const npm = spawn('npm', ['start', '--', '--no-setup', '--port-offset', String(OFFSET), '--data-dir', dataDir, ...args], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout.on('data', (d) => (output += d));
  npm.stderr.on('data', (d) => (output += d));
  return { pid: npm.pid!, output: () => output, exit: new Promise((resolve) => npm.on('close', (code) => resolve(code))) };
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number, output: () => string): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not within ${timeoutMs / 1000} s; output:\n${output()}`);
    await sleep(100);
  }
  return Date.now() - started;
}

async function untilUp(start: NpmStart): Promise<void> {
  await waitFor('Cobalt is up', () => start.output().includes('Cobalt is up') || start.output().includes('failed to start'), 180_000, start.output);
  expect(start.output()).toContain('Cobalt is up');
}

/** The cluster process and every service it started, from what it recorded. */
function clusterPids(): number[] {
  const state = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')) as { pid: number; services: Record<string, { pid: number }> };
  return [state.pid, ...Object.values(state.services).map((s) => s.pid)];
}

/** Sends `stop` and resolves with how long it took until npm, the cluster process and every service were gone. */
async function stoppedBy(start: NpmStart, stop: () => void): Promise<number> {
  const pids = [start.pid, ...clusterPids()];
  stop();
  return waitFor('every process gone', () => pids.every((pid) => !isAlive(pid)), 30_000, start.output);
}

beforeAll(async () => {
  // Inside `npm test` everything is installed and built already; run alone, this builds what is missing.
  if (!process.env.COBALT_TEST_HTTP_URL) await setup({ log: () => undefined });
  rmSync(dataDir, { recursive: true, force: true });
});

afterAll(async () => {
  // Should a test have failed half-way: nothing of this file's cluster stays up.
  const { stopCluster } = await import('../../scripts/cluster/stop.mjs');
  await stopCluster({ dataDir, log: () => undefined });
});

describe('npm start', () => {
  it("when Prometheus's port is taken, then the cluster starts all the same, its Prometheus on the next free port, and says so", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(9090 + OFFSET, '127.0.0.1', resolve));
    try {
      const start = npmStart();
      await untilUp(start);

      expect(start.output()).toContain(`${9090 + OFFSET} is in use`);
      expect(start.output()).toContain(`prometheus  http://127.0.0.1:${9091 + OFFSET}`);
      expect((await fetch(`http://127.0.0.1:${9091 + OFFSET}/-/ready`)).status).toBe(200);

      // And SIGTERM to the npm process (npm passes it on to the cluster, which stops everything in order).
      const ms = await stoppedBy(start, () => process.kill(start.pid, 'SIGTERM'));
      expect(ms).toBeLessThan(20_000);
      expect(start.output()).toContain('SIGTERM: stopping the cluster...');
      expect(start.output()).toContain('cluster   stopped');
      expect(await start.exit).toBe(0);
      expect(existsSync(join(dataDir, 'cluster.json'))).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('when SIGTERM reaches npm, then npm, the cluster process and every service (backends included) are gone within seconds', async () => {
    const start = npmStart();
    await untilUp(start);
    const services = clusterPids().length - 1;

    const ms = await stoppedBy(start, () => process.kill(start.pid, 'SIGTERM'));

    expect(services).toBe(9); // postgres, redis, mongo-store, mongo, prometheus, backend-1..3, caddy
    expect(ms).toBeLessThan(20_000);
    expect(await start.exit).toBe(0);
  });

  it('when Ctrl-C reaches npm and the cluster process together (a terminal sends it to both), then it stops in order, once', async () => {
    const start = npmStart('--no-backends');
    await untilUp(start);

    await stoppedBy(start, () => process.kill(-start.pid, 'SIGINT'));

    expect(start.output().match(/stopping the cluster/g)).toHaveLength(1);
    expect(start.output()).not.toContain('exiting now');
    expect(start.output()).toContain('cluster   stopped');
  });

  it('when npm is killed outright (SIGKILL: nothing passes on), then the cluster sees it gone and stops everything', async () => {
    const start = npmStart('--no-backends');
    await untilUp(start);

    const ms = await stoppedBy(start, () => process.kill(start.pid, 'SIGKILL'));

    expect(ms).toBeLessThan(20_000);
    expect(start.output()).toContain('npm has exited: stopping the cluster...');
  });
});
