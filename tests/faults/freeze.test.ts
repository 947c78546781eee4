import { describe, expect, it } from 'vitest';
import { waitAllReady } from './support/probes.js';
import { backendPids, describeFailure, expectNothingLost, histogram, useFaultScenario } from './support/scenario.js';
import { sleep } from './support/sim-client.js';

/** Longer than Engine.IO's ping timeout (20 s) and the devices' ack and request timeouts (8 and 10 s). */
const FREEZE_SECONDS = 25;

describe(`fault: every server process frozen for ${FREEZE_SECONDS} s under load (a paused VM)`, () => {
  const current = useFaultScenario(6, 'freeze');

  it('then the writes held up and retried meanwhile are answered once it thaws, none with a server error, nothing is lost or doubled and every replica converges', async () => {
    const scenario = current();
    scenario.load.start();
    await sleep(6000);
    const pidsBefore = backendPids(scenario);
    const frozen = await scenario.freeze(FREEZE_SECONDS);
    const readyAfterMs = await waitAllReady(scenario).catch((error: Error) => error.message);
    await sleep(10_000);
    const outcome = await scenario.finish();

    const { ledger } = scenario.load;
    const failedInFreeze = ledger.failuresBetween(frozen.at, frozen.thawedAt);
    const serverErrors = ledger.failuresBetween(0, Date.now()).filter((f) => f.code === 'INTERNAL' || f.status === 500);
    const reconnected = scenario.load.sockets.filter((s) => s.reconnects.some((r) => r.at >= frozen.at)).length;
    outcome.figures.extra.push(
      ['frozen', `${frozen.processes} processes for ${frozen.thawedAt - frozen.at} ms`],
      ['failed attempts while frozen', histogram(failedInFreeze.map(describeFailure))],
      ['writes acknowledged in the 10 s after the thaw', ledger.ackedBetween(frozen.thawedAt, frozen.thawedAt + 10_000)],
      ['sockets that reconnected', `${reconnected}/${scenario.load.sockets.length}`],
      ['all backends ready after the thaw', typeof readyAfterMs === 'number' ? `${readyAfterMs} ms` : readyAfterMs],
    );
    scenario.report(outcome);
    expectNothingLost(scenario, outcome);

    // The freeze held writes up: the devices timed out and retried (a run where nothing was in flight proves nothing).
    expect.soft(failedInFreeze.length, 'attempts that timed out while the cluster was frozen').toBeGreaterThan(0);
    expect.soft(ledger.ackedBetween(frozen.thawedAt, frozen.thawedAt + 10_000), 'writes acknowledged after the thaw').toBeGreaterThan(0);
    // At the thaw every lease in Redis has run out under its holder, and the retries of writes already
    // stored arrive with the backlog: each is answered from the log or applied, none fails as a server error.
    expect.soft(serverErrors.map(describeFailure), 'attempts answered with a server error').toEqual([]);
    expect.soft(readyAfterMs, 'every backend ready again by itself (ms)').toBeTypeOf('number');
    expect.soft(backendPids(scenario), 'the same backend processes throughout').toEqual(pidsBefore);
  });
});
