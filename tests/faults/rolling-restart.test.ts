import { describe, expect, it } from 'vitest';
import { expectNothingLost, socketsByInstance, useFaultScenario, waitRoutedTo } from './support/scenario.js';
import { sleep } from './support/sim-client.js';

/** The graceful-stop budget a backend promises (docs/RELIABILITY.md). */
const EXIT_BUDGET_MS = 10_000;

describe('fault: rolling restart of every backend under load', () => {
  const current = useFaultScenario(1, 'rolling-restart');

  it('when each backend in turn gets SIGTERM and comes back, then every write is acknowledged, none is lost or doubled, and every replica converges', async () => {
    const scenario = current();
    scenario.load.start();
    await sleep(6000);
    const steps: { name: string; sockets: number; exitedInMs: number; exitCode: number | null; readyInMs: number; routedInMs: number }[] = [];
    for (const name of ['backend-1', 'backend-2', 'backend-3']) {
      const sockets = socketsByInstance(scenario).get(name) ?? 0;
      const restart = await scenario.cluster.restart(name, { signal: 'SIGTERM' });
      const routedInMs = await waitRoutedTo(scenario, name);
      steps.push({ name, sockets, exitedInMs: restart.exitedInMs, exitCode: restart.exit?.code ?? null, readyInMs: restart.readyInMs, routedInMs });
      // Let traffic settle back onto it before the next one goes.
      await sleep(3000);
    }
    await sleep(4000);
    const outcome = await scenario.finish();
    outcome.figures.extra.push(
      ...steps.map((s): [string, string] => [
        `${s.name}: sockets / exit / ready / routed`,
        `${s.sockets} / ${s.exitedInMs} ms (code ${s.exitCode}) / ${s.readyInMs} ms / +${s.routedInMs} ms`,
      ]),
    );
    scenario.report(outcome);
    expectNothingLost(scenario, outcome);

    for (const step of steps) {
      expect.soft(step.exitedInMs, `${step.name} exit time`).toBeLessThan(EXIT_BUDGET_MS);
      expect.soft(step.exitCode, `${step.name} exit code`).toBe(0);
    }
  });
});
