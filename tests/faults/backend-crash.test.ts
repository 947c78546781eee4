import { describe, expect, it } from 'vitest';
import { caddyHealthFailures, percentile } from './support/fault-cluster.js';
import { CADDY_HEALTH_INTERVAL_MS, expectNothingLost, socketsByInstance, useFaultScenario, writesInFlightOn } from './support/scenario.js';
import { sleep } from './support/sim-client.js';

describe('fault: a backend is SIGKILLed under load', () => {
  const current = useFaultScenario(0, 'backend-crash');

  it('then nothing acknowledged is lost or doubled, Caddy drops it within its health interval, its clients reconnect to the others and every replica converges', async () => {
    const scenario = current();
    scenario.load.start();
    await sleep(8000);
    // The instance holding the most sockets dies.
    const [victim] = [...socketsByInstance(scenario)].sort((a, b) => b[1] - a[1])[0]!;
    const displaced = scenario.load.sockets.filter((s) => s.connected && s.instanceId === victim);
    const port = scenario.cluster.ports.backends[Number(victim.split('-')[1]) - 1]!;
    // A crash at the worst moment: while writes sent to it are being processed.
    for (const until = Date.now() + 10_000; Date.now() < until && writesInFlightOn(scenario, victim, 2) < 1;) await sleep(1);
    const inFlight = writesInFlightOn(scenario, victim, 2);
    const killedAt = Date.now();
    await scenario.cluster.kill(victim, 'SIGKILL');
    await sleep(15_000);
    const outcome = await scenario.finish();

    // Caddy has two pools (API and Socket.IO), each with its own health checker: both must drop it.
    const probesFailed = caddyHealthFailures(scenario.cluster.dataDir, `127.0.0.1:${port}`, killedAt);
    const droppedMs = probesFailed.length >= 2 ? Math.round(probesFailed[1]! - killedAt) : Number.POSITIVE_INFINITY;
    const moves = displaced.map((s) => s.reconnects.find((r) => r.at >= killedAt));
    const moveMs = moves.filter((r) => r?.helloAt).map((r) => r!.helloAt! - r!.at);
    // Requests that still failed at the proxy once Caddy had dropped the instance.
    const failedAfterDrop = scenario.load.ledger.failuresBetween(killedAt + droppedMs, Date.now()).filter((f) => f.via !== 'socket' && (f.status >= 502 || f.status === 0)).length;
    outcome.figures.extra.push(
      ['killed', `${victim} (SIGKILL), holding ${displaced.length} sockets, ${inFlight} socket writes in flight`],
      ['Caddy dropped it after (both pools)', `${droppedMs} ms (interval ${CADDY_HEALTH_INTERVAL_MS} ms)`],
      ['displaced sockets reconnected elsewhere', `${moves.filter((r) => r?.to && r.to !== victim).length}/${displaced.length}`],
      ['displaced reconnect p95 / max', `${percentile(moveMs, 95)} / ${Math.max(0, ...moveMs)} ms`],
      ['HTTP attempts failed after the drop', failedAfterDrop],
    );
    scenario.report(outcome);
    expectNothingLost(scenario, outcome);

    expect.soft(droppedMs, 'Caddy stops routing to the dead instance within its health interval').toBeLessThanOrEqual(CADDY_HEALTH_INTERVAL_MS + 250);
    expect.soft(failedAfterDrop).toBe(0);
    expect.soft(displaced.length).toBeGreaterThan(0);
    for (const move of moves) expect.soft(move?.to, 'a displaced socket reconnected to another instance').toMatch(/^backend-/);
    expect.soft(moves.every((m) => m?.to !== victim)).toBe(true);
  });
});
