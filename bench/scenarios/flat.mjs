// Flat cost: what one write, one list page and one `sync` cost the servers for a user with no
// todos, with 1,000 and with 10,000 (and the change-log entries that come with them). Each user's
// operations run one at a time from a client process of their own, direct to backend-1, with the
// cluster otherwise quiet; every phase is a measured window (CPU of every process, store and Redis
// commands), divided by the operations it made.
import { setTimeout as sleep } from 'node:timers/promises';
import { createAccounts } from '../lib/accounts.mjs';
import { loadMeter } from '../lib/cluster.mjs';
import { cpuGroups, openWindow, perOperation } from '../lib/counters.mjs';
import { summarize } from '../lib/stats.mjs';
import { startWorker } from '../lib/workers.mjs';

/** Seqs per sync bucket, as in the backend's todo-model.ts. */
const SYNC_BUCKET = 32;

/** The operations measured per user, in the order they run. */
export const FLAT_OPS = [
  { key: 'write', label: 'write (POST /api/todos)' },
  { key: 'writeKeyed', label: 'write with Idempotency-Key' },
  { key: 'list', label: 'list page (GET /api/todos?limit=20)' },
  { key: 'sync', label: 'sync (socket, 3 seqs behind)' },
];

/** Back to quiet: the request-log batch of the phase before is flushed (once a second) and the cluster uses < 20% of a core (over 0.5 s). */
async function quiet(cluster, { maxMs = 20_000 } = {}) {
  const started = performance.now();
  await sleep(1_100);
  while (performance.now() - started < maxMs) {
    const stop = loadMeter(cluster);
    await sleep(500);
    if (stop().oursPercent < 20) break;
  }
  return Math.round(performance.now() - started);
}

/**
 * @param {{ cluster: object, label: string, sizes: number[], k: number, seedConcurrency?: number, seedBudgetS?: number, log: Function }} opts
 *   sizes: todos of each user before the measurement (one user per size); k: operations per kind
 *   (the writes: half without a key, half with one); seedBudgetS: time to seed each user within (a
 *   user not seeded in full within it is measured with what it has, and says so).
 */
export async function runFlat({ cluster, label, sizes, k, seedConcurrency = 8, seedBudgetS = 600, log }) {
  const baseUrl = cluster.urls.backends[0];
  log(`flat: ${sizes.length} users with ${sizes.join(', ')} todos; ${k} writes (half keyed), ${k} list pages and ${k} syncs each, one at a time, direct to backend-1`);
  const made = await createAccounts(cluster.urls.public, { users: sizes.length, devices: 1, label });
  const worker = await startWorker('flat-client');
  /** @type {any[]} each user's numbers, filled in as the scenario goes */
  const users = [];
  let idle = null;
  try {
    for (const [i, size] of sizes.entries()) {
      const token = made.accounts[i].tokens[0];
      const changes = Math.min(20, Math.floor(size / 100));
      const seed = size
        ? await worker.call(
            'seed',
            { baseUrl, token, count: size, concurrency: seedConcurrency, updates: changes, deletes: changes, maxMs: seedBudgetS * 1000 },
            seedBudgetS * 1000 + 600_000,
          )
        : { created: 0, updated: 0, deleted: 0, writes: 0, errors: {}, ms: 0, stoppedEarly: false };
      if (size)
        log(
          `  seeded ${seed.created}${seed.stoppedEarly ? ` of ${size} (stopped after ${seedBudgetS} s)` : ''} todos (+${seed.updated} updated, ${seed.deleted} deleted) in ${(seed.ms / 1000).toFixed(1)} s (${(seed.writes / (seed.ms / 1000)).toFixed(0)} writes/s)${Object.keys(seed.errors).length ? `, errors ${JSON.stringify(seed.errors)}` : ''}`,
        );
      users.push({
        todos: size,
        seeded: seed.created,
        token,
        seq: seed.writes,
        alive: seed.created - seed.deleted,
        seed: { ...seed, perSec: seed.ms ? seed.writes / (seed.ms / 1000) : null },
      });
    }

    // The same processes with nothing to do (metrics scrapes, health checks, timers): part of every
    // figure below, in proportion to each phase's length.
    await quiet(cluster);
    const closeIdle = await openWindow(cluster, { pids: { 'flat-client': worker.pid } });
    await sleep(5_000);
    const idleWindow = await closeIdle();
    idle = Object.fromEntries(Object.entries(cpuGroups(idleWindow)).map(([g, sec]) => [g, (100 * sec) / idleWindow.seconds]));
    log(`  idle: backends ${idle.backends.toFixed(1)}%, store ${idle.store.toFixed(1)}% of a core`);

    for (const u of users) {
      const ops = {};
      const phase = async (key, call) => {
        const quietWaitMs = await quiet(cluster);
        const close = await openWindow(cluster, { pids: { 'flat-client': worker.pid } });
        const r = await call();
        const window = await close();
        const { cpuPercent, ...per } = perOperation(window, r.ok);
        ops[key] = { count: r.count, ok: r.ok, errors: r.errors, errorCount: Object.values(r.errors).reduce((a, n) => a + n, 0), wallMs: summarize(r.ms), quietWaitMs, ...per };
      };
      const half = Math.floor(k / 2);
      const timeout = 60_000 + k * 1_000;
      // One write first, measured on its own and not counted with the rest: the first write of a
      // user whose head is not in Redis (user A here; the seeded users' heads are) reads it from the store.
      await phase('first', () => worker.call('writes', { baseUrl, token: u.token, count: 1 }, timeout));
      u.seq += ops.first.ok;
      u.alive += ops.first.ok;
      u.first = ops.first;
      delete ops.first;
      await phase('write', () => worker.call('writes', { baseUrl, token: u.token, count: half }, timeout));
      await phase('writeKeyed', () => worker.call('writes', { baseUrl, token: u.token, count: k - half, keyPrefix: `${label}-${u.todos}-${Date.now().toString(36)}` }, timeout));
      u.seq += ops.write.ok + ops.writeKeyed.ok;
      u.alive += ops.write.ok + ops.writeKeyed.ok;
      await phase('list', () => worker.call('lists', { baseUrl, token: u.token, count: k, expect: Math.min(20, u.alive) }, timeout));
      // The sync reads from 3 seqs behind the user's head: asked once to learn the head (the answer
      // carries it). A sync reads the seq bucket(s) from there to the head, and what one costs
      // depends on how full that bucket is (up to 32 todos), not on the user's data; so each user
      // gets a few more (unmeasured) writes first until the head is the last seq of its bucket,
      // and every user's syncs read one full bucket.
      await worker.call('connect', { baseUrl, token: u.token });
      const probe = await worker.call('syncOnce', { since: Math.max(0, u.seq - 3) });
      const pad = (SYNC_BUCKET - 1 - (probe.seq % SYNC_BUCKET) + SYNC_BUCKET) % SYNC_BUCKET;
      const padded = pad ? await worker.call('writes', { baseUrl, token: u.token, count: pad }, timeout) : { ok: 0 };
      u.seq = probe.seq + padded.ok;
      u.alive += padded.ok;
      const since = Math.max(0, u.seq - 3);
      await phase('sync', () => worker.call('syncs', { count: k, since, expect: Math.min(3, u.seq) }, timeout));
      await worker.call('closeSocket');
      u.headSeq = u.seq;
      u.ops = ops;
      const f = (o) => `${o.cpuMs.backends?.toFixed(2)} / ${o.cpuMs.store?.toFixed(2)} ms, ${o.storeCommands ? o.storeCommands.todoPath?.toFixed(2) : '?'} cmds`;
      log(`  ${u.todos} todos: write ${f(ops.write)}; keyed ${f(ops.writeKeyed)}; list ${f(ops.list)}; sync ${f(ops.sync)} (backend / store CPU per op)`);
    }
  } finally {
    await worker.call('closeSocket').catch(() => undefined);
    await worker.stop();
  }
  return { sizes, k, seedBudgetS, idleCpuPercent: idle, users: users.map(({ token, ...u }) => u) };
}
