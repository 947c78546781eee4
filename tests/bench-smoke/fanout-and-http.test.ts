import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/root.mjs';
import { setup } from '../../scripts/setup/install.mjs';
import { createAccounts, seedTodos } from '../../bench/lib/accounts.mjs';
import { startBenchCluster, startSingleUpstreamCaddy } from '../../bench/lib/cluster.mjs';
import { cobaltTransport, runFanout } from '../../bench/scenarios/fanout.mjs';
import { runHttp } from '../../bench/scenarios/http.mjs';
import { openWindow } from '../../bench/lib/counters.mjs';

/**
 * A short run of the bench's fan-out and HTTP scenarios (bench/, docs/PERFORMANCE.md) on a
 * cluster of its own, so the shared test cluster's data and limits do not weigh on it. It fails on
 * a lost, duplicated or misdelivered event, on any error, on a run that did no work and on store
 * commands that were not counted, never on a time: timings on shared machines are for
 * `npm run bench` to report.
 */
// Below the ephemeral port range (32768+), apart from the bench's (31xxx) and the other suites'.
// COBALT_BENCH_SMOKE_PORT_OFFSET moves them, for two checkouts testing on one machine.
const offset = Number(process.env.COBALT_BENCH_SMOKE_PORT_OFFSET ?? 0);
const SMOKE_PORTS = {
  http: 32080 + offset,
  backends: [32001 + offset, 32002 + offset, 32003 + offset],
  postgres: 32432 + offset,
  redis: 32379 + offset,
  mongo: 32017 + offset,
  prometheus: 32090 + offset,
};

let cluster: any;
let accounts: any[];

beforeAll(async () => {
  // Inside `npm test` the runner has installed and built everything already; BENCH_SETUP=0 skips it as for the bench.
  if (!process.env.COBALT_TEST_HTTP_URL && process.env.BENCH_SETUP !== '0') await setup({ log: () => undefined });
  const dataDir = join(ROOT, '.data', 'bench-smoke');
  rmSync(dataDir, { recursive: true, force: true });
  cluster = await startBenchCluster({ dataDir, ports: SMOKE_PORTS, owner: 'bench-smoke', env: { LOG_LEVEL: 'warn' }, log: () => undefined });
  ({ accounts } = await createAccounts(cluster.urls.public, { users: 10, devices: 3, label: `smoke${Date.now().toString(36)}` }));
});

afterAll(async () => {
  await cluster?.stop();
});

describe('bench smoke', () => {
  it('when 30 devices of 10 users get writes over REST, GraphQL and sockets after a warm-up, then every device of the writer receives each exactly once, and the store and Redis commands of each write are counted', async () => {
    const result = await runFanout({
      name: 'smoke',
      transport: cobaltTransport(cluster),
      accounts,
      devicesPerUser: 3,
      rate: 15,
      durationMs: 8_000,
      workers: 2,
      log: () => undefined,
    });

    expect(result.connect.errors).toEqual([]);
    expect(result.connect.connected).toBe(30);
    // Every instance holds some of them: the fan-out crosses instances through Redis.
    expect(Object.keys(result.connect.byInstance).sort()).toEqual(['backend-1', 'backend-2', 'backend-3']);
    expect(result.writes.errors).toEqual({});
    expect(result.writes.acked).toBe(result.writes.offered);
    expect(Object.keys(result.latencyByChannelMs).sort()).toEqual(['graphql', 'rest', 'socket']);
    expect(result.deliveries).toMatchObject({ lost: 0, duplicated: 0, misdelivered: 0, unconfirmed: 0, drops: 0 });
    expect(result.writes.acked).toBeGreaterThan(0);
    expect(result.deliveries.received).toBe(result.writes.acked * 3);
    // The warm-up wrote before the window, in a run of its own: none of its receipts is counted above.
    expect(result.warmUp.acked).toBeGreaterThan(0);
    expect(result.receiverLoopDelayMs.max).toBeGreaterThan(0);
    // The backends' GC pauses in the window, read from their metrics (null only if a read failed).
    expect(result.backendGc).not.toBeNull();
    expect(result.backendGc.pausedPercent).toBeGreaterThanOrEqual(0);
    // The backends' event loops were scheduled to do the writes: their run-queue wait was read.
    expect(result.cpuWait?.backends?.meanUs).toBeGreaterThan(0);
    // The window's cost was counted on the servers: MongoDB commands from the backends' metric, Redis
    // commands from the Redis server, CPU of the backends; per acknowledged write.
    expect(result.perWrite.ops).toBe(result.writes.acked);
    expect(result.perWrite.storeCommands?.todoPath).toBeGreaterThan(0);
    expect(result.perWrite.storeCommands?.byCommand).toHaveProperty(['insert todos']);
    expect(result.perWrite.redisCommands?.all).toBeGreaterThan(0);
    expect(result.perWrite.cpuMs.backends).toBeGreaterThan(0);
  });

  it('when the REST list, REST create and GraphQL page run at fixed concurrency through Caddy, direct, and through a Caddy with that backend alone, then no request fails and the store commands of each request are counted, some for each create', async () => {
    const [reader, ...writers] = accounts;
    await seedTodos(cluster.urls.public, reader.tokens[0], 25);
    const one = await startSingleUpstreamCaddy({ port: SMOKE_PORTS.http + 1, upstream: new URL(cluster.urls.backends[0]).host, dataDir: join(ROOT, '.data', 'bench-smoke') });
    const results = await runHttp({
      targets: { caddy: cluster.urls.public, direct: cluster.urls.backends[0], caddyOne: one.url, caddyOnePid: one.pid },
      reader: reader.tokens[0],
      writers: writers.map((a: any) => a.tokens[0]),
      connections: 5,
      amount: 60,
      warmupS: 0,
      meter: (pids: Record<string, number>) => openWindow(cluster, { pids }),
      log: () => undefined,
    }).finally(() => one.stop());

    for (const [endpoint, r] of Object.entries<any>(results)) {
      for (const via of ['caddy', 'direct', 'caddyOne']) {
        expect({ endpoint, via, requests: r[via].requests, errors: r[via].errors, non2xx: r[via].non2xx, sample: r[via].sample }).toEqual({
          endpoint,
          via,
          requests: 60,
          errors: 0,
          non2xx: 0,
          sample: [],
        });
        // The store commands were counted for every request, and each create made some (a read
        // may be answered without one).
        const commands = r[via].perRequest?.storeCommands;
        expect({ endpoint, via, counted: typeof commands?.todoPath === 'number', writes: endpoint === 'rest-create' ? commands?.todoPath > 0 : null }).toEqual({
          endpoint,
          via,
          counted: true,
          writes: endpoint === 'rest-create' ? true : null,
        });
      }
    }
  });
});
