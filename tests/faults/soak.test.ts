import { describe, expect, it } from 'vitest';
import { knobs } from './support/fault-cluster.js';
import { expectNothingLost, sampleBackends, useFaultScenario, type BackendSample } from './support/scenario.js';
import { sleep } from './support/sim-client.js';

/**
 * Allowed growth between the idle samples before and after the soak (same clients connected, no
 * load, so only what the soak left behind differs): heap and RSS may grow by this fraction plus a
 * fixed margin for allocator and JIT noise; handles by the MongoDB pool's headroom (maxPoolSize 20:
 * connections opened in a burst stay open, bounded, where a leak grows with every request).
 */
const TOLERANCE = { heapFraction: 0.25, heapBytes: 8 * 2 ** 20, rssFraction: 0.2, rssBytes: 24 * 2 ** 20, handles: 20 };
/** Idle time before a sample: longer than the backends' keep-alive timeout (5 s), so idle connections are gone. */
const SETTLE_MS = 6500;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

describe('fault: soak under steady mixed load', () => {
  const current = useFaultScenario(5, 'soak');

  it(
    `when the load runs for ${knobs.soakSeconds} s, then memory stays flat, no request fails, and sockets and handles are all given back`,
    { timeout: (knobs.soakSeconds + 240) * 1000 },
    async () => {
      const scenario = current();
      // Warm up (JIT, pools, caches), then sample at rest with every client still connected.
      scenario.load.start();
      await sleep(10_000);
      await scenario.load.stop(10_000);
      await sleep(SETTLE_MS);
      const before = await sampleBackends(scenario);
      const warmupWrites = scenario.load.ledger.writes.length;

      scenario.load.start();
      await sleep(knobs.soakSeconds * 1000);
      const outcome = await scenario.finish();
      await sleep(SETTLE_MS);
      const after = await sampleBackends(scenario);
      const openSockets = scenario.load.openSockets();

      scenario.load.close();
      await sleep(SETTLE_MS);
      const closed = await sampleBackends(scenario);

      const { writes, reads } = scenario.load.ledger;
      const attempts = writes.reduce((n, w) => n + w.attempts, 0) + reads.length;
      const failures = writes.reduce((n, w) => n + w.failures.length, 0) + reads.filter((r) => !r.ok).length;
      const sum = (samples: BackendSample[], key: keyof Omit<BackendSample, 'instance'>) => samples.reduce((n, s) => n + s[key], 0);
      outcome.figures.extra.push(
        ['soak duration (after warm-up)', `${knobs.soakSeconds} s, ${writes.length - warmupWrites} writes`],
        ['error rate (failed / all requests)', `${failures} / ${attempts}`],
        ...before.map((b, i): [string, string] => [
          `${b.instance} heap / RSS before → after`,
          `${mb(b.heapUsedBytes)} → ${mb(after[i]!.heapUsedBytes)} / ${mb(b.rssBytes)} → ${mb(after[i]!.rssBytes)}`,
        ]),
        ...before.map((b, i): [string, string] => [
          `${b.instance} handles before → after → clients closed`,
          `${b.activeHandles} → ${after[i]!.activeHandles} → ${closed[i]!.activeHandles}`,
        ]),
        ['cobalt_sockets_connected (sum) vs open sockets', `${sum(after, 'socketsConnected')} vs ${openSockets}; after close ${sum(closed, 'socketsConnected')}`],
      );
      scenario.report(outcome);
      const { figures: f } = outcome;
      expectNothingLost(scenario, outcome);

      expect.soft(failures, 'failed requests').toBe(0);
      expect.soft(f.reconnects.count, 'socket reconnects').toBe(0);
      for (const [i, b] of before.entries()) {
        const a = after[i]!;
        expect.soft(a.heapUsedBytes, `${b.instance} heap`).toBeLessThanOrEqual(b.heapUsedBytes * (1 + TOLERANCE.heapFraction) + TOLERANCE.heapBytes);
        expect.soft(a.rssBytes, `${b.instance} RSS`).toBeLessThanOrEqual(b.rssBytes * (1 + TOLERANCE.rssFraction) + TOLERANCE.rssBytes);
        expect.soft(a.activeHandles, `${b.instance} handles`).toBeLessThanOrEqual(b.activeHandles + TOLERANCE.handles);
        // Every client gone: no socket left open, and no more handles than before the soak with all of them connected.
        expect.soft(closed[i]!.socketsConnected, `${b.instance} sockets after close`).toBe(0);
        expect.soft(closed[i]!.activeHandles, `${b.instance} handles after close`).toBeLessThanOrEqual(b.activeHandles);
      }
      expect.soft(sum(after, 'socketsConnected')).toBe(openSockets);
      expect.soft(openSockets).toBe(scenario.load.sockets.length);
    },
  );
});
