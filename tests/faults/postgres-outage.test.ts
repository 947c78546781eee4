import { describe, expect, it } from 'vitest';
import { apiClient, type ApiResponse } from '../../backend/test/support/http.js';
import { connectSocket } from '../../backend/test/support/sockets.js';
import { knobs } from './support/fault-cluster.js';
import { prepareFanOut, waitAllReady } from './support/probes.js';
import { backendPids, describeFailure, expectNothingLost, histogram, useFaultScenario } from './support/scenario.js';
import { sleep } from './support/sim-client.js';

/** docs/RELIABILITY.md: account operations answer 503 UNAVAILABLE in under 5 s while Postgres is away. */
const FAIL_FAST_MS = 5000;

interface Probe {
  status: number;
  ms: number;
  code?: string;
}

async function timed(request: () => Promise<ApiResponse>): Promise<Probe> {
  const started = Date.now();
  const res = await request();
  const code = typeof res.body === 'object' ? res.body?.error?.code : `text "${String(res.body).slice(0, 40)}"`;
  return { status: res.status, ms: Date.now() - started, code };
}

const show = (p: Probe) => `${p.status} ${p.code ?? ''} in ${p.ms} ms`;

/**
 * docs/RELIABILITY.md "During an outage", PostgreSQL: todo reads and writes for signed-in users,
 * live events and new socket connections (checked against each instance's revocation mirror) go
 * on; register, sign-in, refresh, sessions and /api/me answer 503 UNAVAILABLE in under 5 s;
 * /health/ready is 503; everything recovers by itself. Checked at the public entry point (Caddy),
 * where clients meet it, and on a backend's own port.
 */
describe(`fault: Postgres stopped for ${knobs.outageSeconds} s under load`, () => {
  const current = useFaultScenario(4, 'postgres-outage');

  it('then the documented outage behaviour holds and service recovers by itself', async () => {
    const scenario = current();
    const fanOut = await prepareFanOut(scenario);
    const { user } = fanOut;
    const viaCaddy = apiClient(scenario.cluster.urls.public);
    const direct = apiClient(scenario.cluster.urls.backends[0]!);
    const login = (api: typeof viaCaddy) => () => api.post('/api/auth/login', { email: user.email, password: 'correct horse battery' });
    const probes: Record<string, Probe> = {};
    const newSocket: { caddy?: string; direct?: string } = {};
    let fanOutDuring: Awaited<ReturnType<typeof fanOut.run>> | undefined;

    scenario.load.start();
    await sleep(6000);
    const pidsBefore = backendPids(scenario);
    const outage = await scenario.outage('postgres', knobs.outageSeconds, async () => {
      // All at once, so the outage keeps its length.
      const connect = (url: string) =>
        connectSocket(url, user.accessToken, { transports: ['websocket'] }).then(
          (socket) => {
            socket.close();
            return 'connected';
          },
          (e: Error & { data?: { code?: string } }) => e.data?.code ?? e.message,
        );
      [probes.loginCaddy, probes.meCaddy, probes.readCaddy, probes.writeCaddy, probes.loginDirect, probes.writeDirect, newSocket.caddy, newSocket.direct, fanOutDuring] =
        await Promise.all([
          timed(login(viaCaddy)),
          timed(() => viaCaddy.get('/api/me', user.accessToken)),
          timed(() => viaCaddy.get('/api/todos', user.accessToken)),
          timed(() =>
            viaCaddy.request('POST', '/api/todos', {
              body: { title: 'while postgres is away' },
              token: user.accessToken,
              headers: { 'idempotency-key': `pg-probe-${Date.now()}` },
            }),
          ),
          timed(login(direct)),
          timed(() => direct.post('/api/todos', { title: 'while postgres is away, direct' }, user.accessToken)),
          connect(scenario.cluster.urls.public),
          connect(scenario.cluster.urls.backends[0]!),
          fanOut.run(),
        ]);
    });
    const readyAfterMs = await waitAllReady(scenario).catch((error: Error) => error.message);
    let loginBackMs = 0;
    for (const started = Date.now(); Date.now() - started < 15_000; await sleep(250)) {
      if ((await login(viaCaddy)()).status === 200) {
        loginBackMs = Date.now() - outage.up;
        break;
      }
    }
    fanOut.close();
    await sleep(6000);
    const outcome = await scenario.finish();

    const { ledger } = scenario.load;
    const { core } = outage;
    const ackedSocket = ledger.ackedBetween(core.from, core.to, 'socket');
    const ackedHttp = ledger.ackedBetween(core.from, core.to, 'rest') + ledger.ackedBetween(core.from, core.to, 'graphql');
    const readsInCore = ledger.reads.filter((r) => r.at >= core.from && r.at < core.to);
    const readyInCore = scenario.readiness.filter((s) => s.at >= core.from && s.at < core.to && s.ready.some(Boolean)).length;
    outcome.figures.extra.push(
      ['Postgres away (stopped → ready again)', `${outage.up - outage.down} ms`],
      ['load: writes acked in the outage (socket / HTTP)', `${ackedSocket} / ${ackedHttp}`],
      ['load: reads in the outage (ok / all)', `${readsInCore.filter((r) => r.ok).length} / ${readsInCore.length}`],
      ['load: failed attempts in the outage', histogram(ledger.failuresBetween(outage.down, outage.up).map(describeFailure))],
      ['sign-in via Caddy / direct', `${show(probes.loginCaddy!)} / ${show(probes.loginDirect!)}`],
      ['GET /api/me via Caddy', show(probes.meCaddy!)],
      ['todo read / write via Caddy', `${show(probes.readCaddy!)} / ${show(probes.writeCaddy!)}`],
      ['todo write direct', show(probes.writeDirect!)],
      ['new socket via Caddy / direct', `${newSocket.caddy} / ${newSocket.direct}`],
      ['live events in the outage (deliveries)', `${fanOutDuring?.delivered}/${fanOutDuring?.expected} (writes refused: ${fanOutDuring?.failedWrites})`],
      ['backends ready in the outage (samples)', readyInCore],
      ['all ready again / sign-in works again after Postgres', `${typeof readyAfterMs === 'number' ? `${readyAfterMs} ms` : readyAfterMs} / ${loginBackMs} ms`],
    );
    scenario.report(outcome);
    expectNothingLost(scenario, outcome);

    // What keeps working, through Caddy and on a backend's own port: todos for signed-in users,
    // live events, new sockets.
    expect.soft(ackedHttp, 'HTTP todo writes acknowledged while Postgres was away').toBeGreaterThan(0);
    expect.soft(ackedSocket, 'socket todo writes acknowledged while Postgres was away').toBeGreaterThan(0);
    expect.soft(probes.readCaddy!.status, 'todo read via Caddy').toBe(200);
    expect.soft(probes.writeCaddy!.status, 'todo write via Caddy').toBe(201);
    expect.soft(probes.writeDirect!.status, 'todo write direct').toBe(201);
    expect.soft(fanOutDuring?.delivered, 'live events while Postgres was away').toBe(fanOutDuring?.expected);
    expect.soft(newSocket, 'new sockets while Postgres was away').toEqual({ caddy: 'connected', direct: 'connected' });
    // What fails, and how: 503 UNAVAILABLE, fast.
    for (const [name, probe] of Object.entries({ signInViaCaddy: probes.loginCaddy!, signInDirect: probes.loginDirect!, meViaCaddy: probes.meCaddy! })) {
      expect.soft(probe.status, `${name} status`).toBe(503);
      expect.soft(probe.code, `${name} code`).toBe('UNAVAILABLE');
      expect.soft(probe.ms, `${name} answered in`).toBeLessThan(FAIL_FAST_MS);
    }
    expect.soft(readyInCore, 'samples with a backend ready while Postgres was away').toBe(0);
    // Recovery by itself.
    expect.soft(loginBackMs, 'sign-in works again').toBeGreaterThan(0);
    expect.soft(readyAfterMs, 'every backend ready again by itself (ms)').toBeTypeOf('number');
    expect.soft(backendPids(scenario)).toEqual(pidsBefore);
    // Nothing lost on the way.
  });
});
