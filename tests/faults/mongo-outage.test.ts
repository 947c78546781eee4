import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { knobs, percentile } from './support/fault-cluster.js';
import { waitAllReady } from './support/probes.js';
import { backendPids, describeFailure, expectNothingLost, histogram, useFaultScenario, type FaultScenario } from './support/scenario.js';
import { sleep } from './support/sim-client.js';

/** docs/RELIABILITY.md: during a MongoDB outage every todo write is `503 UNAVAILABLE` in under 5 s. */
const FAIL_FAST_MS = 5000;

/** Each backend's TCP connections to MongoDB by state (what a backend that does not recover still holds). */
function connectionsTo(url: string, scenario: FaultScenario): string {
  const port = new URL(url).port;
  const lines = execFileSync('ss', ['-tnpH'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`127.0.0.1:${port} `) && l.includes('node'));
  const pids = new Map(scenario.cluster.services().map((svc) => [svc.pid, svc.name]));
  const count = new Map<string, number>();
  for (const line of lines) {
    const pid = Number(/pid=(\d+)/.exec(line)?.[1]);
    const key = `${pids.get(pid) ?? pid} ${line.split(/\s+/)[0]}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  return `connections to MongoDB: ${[...count].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`;
}

describe(`fault: MongoDB stopped for ${knobs.outageSeconds} s under load`, () => {
  const current = useFaultScenario(3, 'mongo-outage');

  it('then writes fail fast with 503, recover by themselves, and nothing acknowledged is lost', async () => {
    const scenario = current();
    scenario.load.start();
    await sleep(6000);
    const pidsBefore = backendPids(scenario);
    const outage = await scenario.outage('mongo', knobs.outageSeconds);
    const readyAfterMs = await waitAllReady(scenario).catch((error: Error) => `${error.message}\n${connectionsTo(scenario.cluster.urls.mongo, scenario)}`);
    await sleep(8000);
    const outcome = await scenario.finish();

    const { ledger } = scenario.load;
    // Attempts sent while MongoDB was away (and answered before it was back).
    const during = ledger.failuresBetween(outage.down, outage.up).filter((f) => f.at + f.ms <= outage.up);
    const httpDuring = during.filter((f) => f.via !== 'socket');
    const socketAnswered = during.filter((f) => f.via === 'socket' && f.code !== 'disconnected' && f.code !== 'offline');
    const firstAckAfter = Math.min(...ledger.writes.filter((w) => w.ackedAt && w.ackedAt > outage.up).map((w) => w.ackedAt!)) - outage.up;
    outcome.figures.extra.push(
      ['MongoDB away (stopped → ready again)', `${outage.up - outage.down} ms`],
      ['write attempts failed in the outage', histogram(during.map(describeFailure))],
      [
        'HTTP failures: answered in p95 / max',
        `${percentile(
          httpDuring.map((f) => f.ms),
          95,
        )} / ${Math.max(0, ...httpDuring.map((f) => f.ms))} ms`,
      ],
      [
        'socket failures: answered in p95 / max',
        `${percentile(
          socketAnswered.map((f) => f.ms),
          95,
        )} / ${Math.max(0, ...socketAnswered.map((f) => f.ms))} ms`,
      ],
      ["writes acked in the outage, after Caddy's next check", ledger.ackedBetween(outage.core.from, outage.core.to)],
      ['first ack after MongoDB was back', `${firstAckAfter} ms`],
      ['all backends ready again after MongoDB', typeof readyAfterMs === 'number' ? `${readyAfterMs} ms` : readyAfterMs],
    );
    scenario.report(outcome);
    expectNothingLost(scenario, outcome);

    expect.soft(httpDuring.length, 'HTTP writes attempted during the outage').toBeGreaterThan(0);
    for (const failure of httpDuring) {
      // REST: the status (a backend's JSON 503, or Caddy's own when no backend is ready). GraphQL
      // answers errors with HTTP 200 and the code in errors[].extensions.code (docs/API.md).
      if (failure.via === 'graphql' && failure.status === 200) expect.soft(failure.code, 'GraphQL error code during the outage').toBe('UNAVAILABLE');
      else expect.soft(failure.status, `HTTP answer during the outage (${describeFailure(failure)})`).toBe(503);
      expect.soft(failure.ms, 'answered fast').toBeLessThan(FAIL_FAST_MS);
    }
    for (const failure of socketAnswered) {
      expect.soft(failure.code, 'socket answer during the outage').toBe('UNAVAILABLE');
      expect.soft(failure.ms, 'answered fast').toBeLessThan(FAIL_FAST_MS);
    }
    // Recovery by itself: the same processes, writes acknowledged again within seconds.
    expect.soft(readyAfterMs, 'every backend ready again by itself (ms)').toBeTypeOf('number');
    expect.soft(backendPids(scenario)).toEqual(pidsBefore);
    expect.soft(firstAckAfter, 'first write acknowledged after MongoDB returned').toBeLessThan(10_000);
  });
});
