// The peer's receivers: many WebSocket clients of a NATS server, each subscribed to its user's
// subject, recording receipts exactly as socket-client.mjs does for Cobalt.
// Hand-written on `ws` because the NATS WebSocket client for JavaScript needs the global
// WebSocket that Node 20 only has behind a flag; the subset used here is four protocol lines.
import WebSocket from 'ws';
import { DeliveryLog } from '../lib/deliveries.mjs';
import { receiverCommands } from '../lib/receivers.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowUs, pool, serve } from '../lib/serve.mjs';

const log = new DeliveryLog();
const conns = [];

/** One NATS-over-WebSocket connection subscribed to `subject`; reconnects (1-5 s backoff, jitter) when asked to. */
function natsConnection(url, { subject, token, reconnection, onMessage }) {
  /** @type {{ connected: boolean, drops: number, closed: boolean, ws: WebSocket | null }} */
  const state = { connected: false, drops: 0, closed: false, ws: null };
  let buffer = '';
  let ready;
  const readyPromise = new Promise((resolve, reject) => (ready = { resolve, reject }));
  let attempts = 0;

  const open = () => {
    const ws = new WebSocket(url);
    state.ws = ws;
    ws.on('message', (data) => {
      const frame = /** @type {Buffer} */ (data); // ws hands every frame over as one Buffer
      buffer += frame.toString('latin1');
      for (;;) {
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        if (line.startsWith('MSG ')) {
          const size = Number(line.slice(line.lastIndexOf(' ') + 1));
          if (buffer.length < eol + 2 + size + 2) return;
          onMessage(buffer.slice(eol + 2, eol + 2 + size));
          buffer = buffer.slice(eol + 2 + size + 2);
          continue;
        }
        buffer = buffer.slice(eol + 2);
        if (line.startsWith('INFO '))
          ws.send(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, protocol: 1, echo: false, auth_token: token })}\r\nSUB ${subject} 1\r\nPING\r\n`);
        else if (line === 'PING') ws.send('PONG\r\n');
        else if (line === 'PONG' && !state.connected) {
          state.connected = true;
          attempts = 0;
          ready.resolve();
        } else if (line.startsWith('-ERR')) ready.reject(new Error(line));
      }
    });
    ws.on('close', () => {
      if (state.connected) state.drops++;
      state.connected = false;
      buffer = '';
      if (!reconnection || state.closed) return ready.reject(new Error('closed'));
      const delay = Math.min(5000, 1000 * 2 ** attempts++) * (0.5 + Math.random());
      setTimeout(() => !state.closed && open(), delay);
    });
    ws.on('error', () => undefined); // 'close' follows
  };
  open();
  return {
    state,
    ready: readyPromise,
    close() {
      state.closed = true;
      state.ws?.terminate();
    },
  };
}

const common = receiverCommands({
  conns,
  log,
  close: (c) => c.nats.close(),
  snapshot: (c) => ({ ...c, connected: c.nats.state.connected, drops: c.nats.state.drops }),
});
const { counts } = common;

serve({
  async connect({ url, devices, token, concurrency = 20, reconnection = false, timeoutMs = 20_000 }) {
    const started = nowUs();
    const errors = [];
    const handshakeMs = [];
    let failed = 0;
    await pool(devices, concurrency, async (d) => {
      const t0 = nowUs();
      /** @type {{ user: string, device: string, instance: string, drops: number, receipts: Map<string, unknown>, nats: ReturnType<typeof natsConnection> | null }} */
      const conn = { user: d.user, device: d.device, instance: 'nats', drops: 0, receipts: new Map(), nats: null };
      conn.nats = natsConnection(url, { subject: `u.${d.user}`, token, reconnection, onMessage: (payload) => log.record(conn, payload) });
      try {
        await Promise.race([conn.nats.ready, sleep(timeoutMs).then(() => Promise.reject(new Error(`not ready within ${timeoutMs} ms`)))]);
        handshakeMs.push((nowUs() - t0) / 1000);
        conns.push(conn);
      } catch (error) {
        conn.nats.close();
        failed++;
        if (errors.length < 5) errors.push(error.message);
      }
    });
    return { ...counts(), failed, errors, placedAsWanted: conns.length, elapsedMs: (nowUs() - started) / 1000, handshakeMs };
  },

  ...common,
});
