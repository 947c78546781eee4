// A bench worker holding many devices, each a `@cobalt/client` (WebSocket only, through Caddy, in
// memory): it connects them, records every `todo:created` they hear live, makes writes from them
// on schedule (the SDK's outbox, confirmed by clientMutationId), and reports.
import { randomUUID } from 'node:crypto';
import { createCobaltClient, localCoordinator, memoryStorage, socketIoTransport } from '@cobalt/client';
import { DeliveryLog, writeTitle } from '../lib/deliveries.mjs';
import { receiverCommands } from '../lib/receivers.mjs';
import { nowUs, openLoop, pool, serve } from '../lib/serve.mjs';

const log = new DeliveryLog();
/** @type {Array<{user:number, device:number, client:any, ids:string[], origin:string, instance:string|null, connected:boolean, drops:number, receipts:Map<string,number>}>} */
const conns = [];

/**
 * Devices that share a session (the idle scenario opens more sockets per user than it has
 * sessions) share its storage and coordinator, as tabs of one browser do: one of them refreshes
 * the single-use refresh token and the others take the new one up.
 */
const bySession = new Map();
const sessionPlace = (sessionId) => {
  if (!bySession.has(sessionId)) bySession.set(sessionId, { storage: memoryStorage(), coordinator: localCoordinator() });
  return bySession.get(sessionId);
};

/** A device; `ids` are the clientMutationIds its next changes take, in order (the write log's keys). */
function openDevice(baseUrl, ids, sessionId, { cookie, reconnection, timeoutMs, ackTimeoutMs }) {
  return createCobaltClient({
    baseUrl,
    ...sessionPlace(sessionId),
    transport: socketIoTransport({
      transports: ['websocket'],
      forceNew: true,
      reconnection,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: timeoutMs,
      // A hint for Caddy's sticky-cookie balancer; where the socket lands is read from `hello`.
      extraHeaders: cookie ? { cookie: `cobalt_lb=${cookie}` } : undefined,
    }),
    outbox: { ackTimeoutMs },
    randomId: () => ids.shift() ?? randomUUID(),
  });
}

/**
 * Takes up the device's session and resolves with the instance that greeted it, or rejects with
 * the refusal (without reconnection, the first failure is final).
 */
async function handshake(client, session, { reconnection, timeoutMs }) {
  const events = client.connection.events;
  let off = [];
  let timer;
  const greeted = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no hello within ${timeoutMs} ms`)), timeoutMs);
    off = [
      events.on('ready', ({ instanceId }) => resolve(instanceId)),
      events.on('failed', ({ code, message }) => {
        if (!reconnection) reject(new Error(code ? `${code}: ${message}` : `connect_error: ${message}`));
      }),
    ];
  });
  try {
    await client.start();
    await client.adoptSession(session);
    return await greeted;
  } finally {
    clearTimeout(timer);
    for (const f of off) f();
  }
}

/**
 * Connection attempts that failed after a device had been connected (its reconnects), by reason
 * (the server's refusal code, or the transport's message), and when each reason was last seen.
 */
const reconnectFailures = new Map();

/** Counts every live `todo:created`, repeats included (the bench reports them, and those the SDK took as new), and the connection's drops. */
function track(conn) {
  const { client } = conn;
  client.connection.events.on('failed', ({ code, message }) => {
    const reason = String(code ?? message).slice(0, 80);
    const seen = reconnectFailures.get(reason) ?? { count: 0, lastAtMs: 0 };
    reconnectFailures.set(reason, { count: seen.count + 1, lastAtMs: Date.now() });
  });
  client.on('live-event', ({ event, fresh }) => {
    if (event.type === 'todo:created') log.record(conn, event.todo.title, fresh);
  });
  client.connection.events.on('ready', ({ instanceId }) => {
    conn.instance = instanceId;
    conn.connected = true;
  });
  client.connection.events.on('lost', ({ reason }) => {
    if (conn.connected) {
      conn.drops++;
      // Why, where it was connected, and when (epoch ms): a drop in a run is a finding to explain.
      (conn.dropReasons ??= []).push({ reason, instance: conn.instance, atMs: Date.now() });
    }
    conn.connected = false;
  });
}

const common = receiverCommands({ conns, log, close: (c) => void c.client.stop() });
const { counts } = common;

/** What a failed attempt is called in the bench's error counts. */
const failureCode = (error) => (error.code !== 'NETWORK' ? error.code : /timed out/i.test(error.message) ? 'ACK_TIMEOUT' : 'EMIT_FAILED');

serve({
  /**
   * devices: [{ user, device, session, want?, cookie? }], `session` the register or login answer
   * of that device. `want` is the instance this socket should sit on; a socket that lands
   * elsewhere is closed and tried again (at most `spreadRetries` times).
   */
  async connect({ baseUrl, devices, concurrency = 20, reconnection = false, timeoutMs = 20_000, spreadRetries = 6, ackTimeoutMs = 10_000 }) {
    const started = nowUs();
    const errors = [];
    const handshakeMs = [];
    let failed = 0;
    let placedAsWanted = 0;
    await pool(devices, concurrency, async (d) => {
      for (let attempt = 0; ; attempt++) {
        const t0 = nowUs();
        const ids = [];
        const client = openDevice(baseUrl, ids, d.session.sessionId, { cookie: attempt === 0 ? d.cookie : undefined, reconnection, timeoutMs, ackTimeoutMs });
        try {
          const instance = await handshake(client, d.session, { reconnection, timeoutMs });
          if (d.want && instance !== d.want && attempt < spreadRetries) {
            await client.stop();
            continue;
          }
          handshakeMs.push((nowUs() - t0) / 1000);
          if (!d.want || instance === d.want) placedAsWanted++;
          const conn = { user: d.user, device: d.device, client, ids, origin: instance, instance, connected: true, drops: 0, receipts: new Map() };
          track(conn);
          conns.push(conn);
          return;
        } catch (error) {
          await client.stop();
          failed++;
          if (errors.length < 5) errors.push(error.message);
          return;
        }
      }
    });
    return { ...counts(), failed, errors, placedAsWanted, elapsedMs: (nowUs() - started) / 1000, handshakeMs };
  },

  /**
   * Writes (`todos.create`, sent from the SDK's outbox) at `rate`/s, round-robin over `users`, from
   * each user's first device. A failed attempt counts as an error (the SDK then sends it again
   * with the same id); a write still unanswered `ackTimeoutMs` after the last one went out, too.
   */
  async write({ run, rate, durationMs, users, writerId, ackTimeoutMs = 10_000 }) {
    const firstDevice = new Map();
    for (const c of conns) if (!firstDevice.has(c.user) || c.device < firstDevice.get(c.user).device) firstDevice.set(c.user, c);
    const writers = users.map((u) => firstDevice.get(u)).filter(Boolean);
    const acked = [];
    const errors = {};
    const ackMs = [];
    const count = (code) => (errors[code] = (errors[code] ?? 0) + 1);
    if (!writers.length) return { acked, errors, ackMs, worstLagMs: 0, sent: 0 };
    /** Writes waiting for their answer, by clientMutationId. */
    const waiting = new Map();
    /** @type {(value?: unknown) => void} */
    let allAnswered = () => undefined;
    const answered = (id) => {
      waiting.delete(id);
      if (!waiting.size) allAnswered();
    };
    const off = writers.flatMap(({ client }) => [
      client.on('settled', (outcome) => {
        const w = waiting.get(outcome.mutation.id);
        if (!w) return;
        if (outcome.type === 'confirmed') {
          acked.push([w.user, w.nonce]);
          ackMs.push((nowUs() - w.tUs) / 1000);
        } else count(outcome.error.code);
        answered(outcome.mutation.id);
      }),
      client.on('retrying', ({ mutation, error }) => {
        if (waiting.has(mutation.id)) count(failureCode(error));
      }),
    ]);
    const { sent, worstLagMs } = await openLoop(rate, durationMs, (n) => {
      const conn = writers[n % writers.length];
      const nonce = `${writerId}.${n}`;
      const tUs = nowUs();
      const title = writeTitle({ run, user: conn.user, channel: 's', nonce, tUs });
      const id = `${run}.${nonce}`;
      conn.ids.push(id);
      waiting.set(id, { user: conn.user, nonce, tUs });
      conn.client.todos.create(title).catch((error) => {
        // Refused before it took its id: the next change must not take it instead.
        const unused = conn.ids.indexOf(id);
        if (unused >= 0) conn.ids.splice(unused, 1);
        count(error.code ?? 'CREATE_FAILED');
        answered(id);
      });
    });
    if (waiting.size) {
      await new Promise((resolve) => {
        allAnswered = resolve;
        setTimeout(resolve, ackTimeoutMs);
      });
    }
    for (let i = 0; i < waiting.size; i++) count('NO_ANSWER');
    for (const f of off) f();
    return { acked, errors, ackMs, worstLagMs, sent };
  },

  /** The reconnects that failed since the last call, by reason (see reconnectFailures); clears them. */
  reconnectFailures() {
    const out = Object.fromEntries(reconnectFailures);
    reconnectFailures.clear();
    return out;
  },

  ...common,
});
