import { apiClient, registerUser } from '../../../backend/test/support/http.js';
import { connectSocket, type RecordingSocket } from '../../../backend/test/support/sockets.js';
import type { FaultScenario } from './scenario.js';

/**
 * Cross-instance fan-out, checked directly: a user with a WebSocket on every backend writes
 * through each backend in turn (on its own port); every socket must hear every write. Prepared
 * (user signed in, sockets connected) before it is run, so it can run while Postgres is away.
 */
export async function prepareFanOut(scenario: FaultScenario) {
  const { backends } = scenario.cluster.urls;
  // Straight to a backend: right after an outage Caddy may not have seen the backends ready yet.
  const user = await registerUser(apiClient(backends[0]!), 'fanout-probe');
  const sockets: RecordingSocket[] = [];
  for (const url of backends) sockets.push(await connectSocket(url, user.accessToken, { transports: ['websocket'] }));
  return {
    user,
    /** Deliveries made (of backends × sockets) and the slowest, in ms. */
    async run(timeoutMs = 3000): Promise<{ delivered: number; expected: number; maxMs: number; failedWrites: number }> {
      let delivered = 0;
      let maxMs = 0;
      let failedWrites = 0;
      for (const url of backends) {
        const sentAt = Date.now();
        const created = await apiClient(url).post('/api/todos', { title: 'fan-out probe' }, user.accessToken);
        if (created.status !== 201) {
          failedWrites++;
          continue;
        }
        const heard = await Promise.allSettled(sockets.map((s) => s.waitFor('todo:created', (p) => p.todo.id === created.body.id, timeoutMs)));
        delivered += heard.filter((h) => h.status === 'fulfilled').length;
        maxMs = Math.max(maxMs, Date.now() - sentAt);
      }
      return { delivered, expected: backends.length * sockets.length, maxMs, failedWrites };
    },
    close(): void {
      for (const s of sockets) s.close();
    },
  };
}

/** prepareFanOut, run once, closed. */
export async function probeFanOut(scenario: FaultScenario, timeoutMs = 3000) {
  const probe = await prepareFanOut(scenario);
  try {
    return await probe.run(timeoutMs);
  } finally {
    probe.close();
  }
}

/** Polls until every backend answers ready on its own port; resolves with how long that took. */
export async function waitAllReady(scenario: FaultScenario, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  let last: string[] = [];
  while (Date.now() - started < timeoutMs) {
    const answers = await Promise.all(
      scenario.cluster.urls.backends.map((url) =>
        fetch(new URL('/health/ready', url), { signal: AbortSignal.timeout(1500) }).then(
          async (r) => ({ status: r.status, body: await r.text() }),
          (e: Error) => ({ status: 0, body: e.message }),
        ),
      ),
    );
    if (answers.every((a) => a.status === 200)) return Date.now() - started;
    last = answers.map((a) => `${a.status} ${a.body}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`backends not all ready within ${timeoutMs} ms; last answers:\n${last.join('\n')}`);
}
