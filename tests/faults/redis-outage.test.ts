import { describe, expect, it } from 'vitest';
import { knobs } from './support/fault-cluster.js';
import { probeFanOut, waitAllReady } from './support/probes.js';
import { backendPids, describeFailure, expectNothingLost, histogram, useFaultScenario } from './support/scenario.js';
import { sleep } from './support/sim-client.js';

describe(`fault: Redis stopped for ${knobs.outageSeconds} s under load`, () => {
  const current = useFaultScenario(2, 'redis-outage');

  it('then no backend crashes, writes keep being acknowledged, live fan-out resumes without a restart and every replica converges', async () => {
    const scenario = current();
    scenario.load.start();
    await sleep(6000);
    const pidsBefore = backendPids(scenario);
    const outage = await scenario.outage('redis', knobs.outageSeconds);
    const readyAfterMs = await waitAllReady(scenario).catch((error: Error) => error.message);
    const fanOut = await probeFanOut(scenario);
    await sleep(8000);
    const outcome = await scenario.finish();

    const { ledger } = scenario.load;
    const { core } = outage;
    const ackedSocket = ledger.ackedBetween(core.from, core.to, 'socket');
    const ackedHttp = ledger.ackedBetween(core.from, core.to, 'rest') + ledger.ackedBetween(core.from, core.to, 'graphql');
    outcome.figures.extra.push(
      ['Redis away (stopped → ready again)', `${outage.up - outage.down} ms`],
      ["writes acked in the outage, after Caddy's next check (socket / HTTP)", `${ackedSocket} / ${ackedHttp}`],
      ['failed attempts in the outage', histogram(ledger.failuresBetween(outage.down, outage.up).map(describeFailure))],
      ['all backends ready again after Redis', typeof readyAfterMs === 'number' ? `${readyAfterMs} ms` : readyAfterMs],
      ['fan-out after recovery (deliveries, slowest)', `${fanOut.delivered}/${fanOut.expected}, ${fanOut.maxMs} ms`],
      ['sockets told to sync when fan-out resumed', `${scenario.load.sockets.filter((s) => s.syncHints > 0).length}/${scenario.load.sockets.length}`],
      ['backend processes restarted or crashed', `${Object.keys(pidsBefore).filter((n) => backendPids(scenario)[n] !== pidsBefore[n]).length}`],
    );
    scenario.report(outcome);
    expectNothingLost(scenario, outcome);

    expect.soft(readyAfterMs, 'every backend ready again by itself (ms)').toBeTypeOf('number');
    expect.soft(backendPids(scenario), 'the same backend processes throughout').toEqual(pidsBefore);
    expect.soft(ackedSocket, 'socket writes acknowledged while Redis was away').toBeGreaterThan(0);
    expect.soft(ackedHttp, 'HTTP writes acknowledged while Redis was away').toBeGreaterThan(0);
    expect.soft(fanOut.delivered, 'live events reaching every socket on every instance').toBe(fanOut.expected);
    // Sockets that stayed connected through the outage missed other instances' events: told to sync.
    expect.soft(scenario.load.sockets.filter((s) => s.syncHints > 0).length, 'sockets told to sync').toBeGreaterThan(0);
  });
});
