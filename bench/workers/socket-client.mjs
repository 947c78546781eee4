// A bench worker holding many Socket.IO clients (websocket only, through Caddy): it connects
// them, records every `todo:created` they receive, makes socket writes on schedule, and reports.
import { io } from 'socket.io-client';
import { DeliveryLog, writeTitle } from '../lib/deliveries.mjs';
import { receiverCommands } from '../lib/receivers.mjs';
import { nowUs, openLoop, pool, serve } from '../lib/serve.mjs';

const log = new DeliveryLog();
/** @type {Array<{user:number, device:number, token:string, socket:any, instance:string|null, connected:boolean, drops:number, receipts:Map<string,number>}>} */
const conns = [];

function openSocket(baseUrl, { token, cookie, reconnection }) {
  return io(baseUrl, {
    path: '/socket.io/',
    transports: ['websocket'],
    auth: { token },
    forceNew: true,
    reconnection,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    timeout: 20_000,
    // A hint for Caddy's sticky-cookie balancer; where the socket lands is read from `hello`.
    extraHeaders: cookie ? { cookie: `cobalt_lb=${cookie}` } : undefined,
  });
}

/** Connects one socket and resolves with its `hello`, or rejects with the refusal. */
function handshake(socket, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no hello within ${timeoutMs} ms`));
    }, timeoutMs);
    const onHello = (hello) => {
      cleanup();
      resolve(hello);
    };
    const onError = (error) => {
      if (socket.io.opts.reconnection) return; // keeps trying by itself
      cleanup();
      reject(new Error(error?.data?.code ? `${error.data.code}: ${error.message}` : `connect_error: ${error?.message}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('hello', onHello);
      socket.off('connect_error', onError);
    };
    socket.on('hello', onHello);
    socket.on('connect_error', onError);
  });
}

function track(conn) {
  const { socket } = conn;
  socket.on('todo:created', (payload) => log.record(conn, payload?.todo?.title));
  socket.on('hello', (hello) => {
    conn.instance = hello.instanceId;
    conn.connected = true;
  });
  socket.on('disconnect', () => {
    if (conn.connected) conn.drops++;
    conn.connected = false;
  });
}

const common = receiverCommands({ conns, log, close: (c) => c.socket.close() });
const { counts } = common;

serve({
  /**
   * devices: [{ user, device, token, want?, cookie? }]. `want` is the instance this socket should
   * sit on; a socket that lands elsewhere is closed and tried again (at most `spreadRetries` times).
   */
  async connect({ baseUrl, devices, concurrency = 20, reconnection = false, timeoutMs = 20_000, spreadRetries = 6 }) {
    const started = nowUs();
    const errors = [];
    const handshakeMs = [];
    let failed = 0;
    let placedAsWanted = 0;
    await pool(devices, concurrency, async (d) => {
      for (let attempt = 0; ; attempt++) {
        const t0 = nowUs();
        const socket = openSocket(baseUrl, { token: d.token, cookie: attempt === 0 ? d.cookie : undefined, reconnection });
        try {
          const hello = await handshake(socket, timeoutMs);
          if (d.want && hello.instanceId !== d.want && attempt < spreadRetries) {
            socket.close();
            continue;
          }
          handshakeMs.push((nowUs() - t0) / 1000);
          if (!d.want || hello.instanceId === d.want) placedAsWanted++;
          const conn = { user: d.user, device: d.device, token: d.token, socket, origin: hello.instanceId, instance: hello.instanceId, connected: true, drops: 0, receipts: new Map() };
          track(conn);
          conns.push(conn);
          return;
        } catch (error) {
          socket.close();
          failed++;
          if (errors.length < 5) errors.push(error.message);
          return;
        }
      }
    });
    return { ...counts(), failed, errors, placedAsWanted, elapsedMs: (nowUs() - started) / 1000, handshakeMs };
  },

  /** Socket writes (`todo:create` with an ack) at `rate`/s, round-robin over `users`, from each user's first device. */
  async write({ run, rate, durationMs, users, writerId, ackTimeoutMs = 10_000 }) {
    const firstDevice = new Map();
    for (const c of conns) if (!firstDevice.has(c.user) || c.device < firstDevice.get(c.user).device) firstDevice.set(c.user, c);
    const writers = users.map((u) => firstDevice.get(u)).filter(Boolean);
    const acked = [];
    const errors = {};
    const ackMs = [];
    const inflight = new Set();
    if (!writers.length) return { acked, errors, ackMs, worstLagMs: 0, sent: 0 };
    const { sent, worstLagMs } = await openLoop(rate, durationMs, (n) => {
      const conn = writers[n % writers.length];
      const nonce = `${writerId}.${n}`;
      const tUs = nowUs();
      const title = writeTitle({ run, user: conn.user, channel: 's', nonce, tUs });
      const p = conn.socket
        .timeout(ackTimeoutMs)
        .emitWithAck('todo:create', { title })
        .then(
          (res) => {
            if (res?.data) {
              acked.push([conn.user, nonce]);
              ackMs.push((nowUs() - tUs) / 1000);
            } else errors[res?.error?.code ?? 'NO_DATA'] = (errors[res?.error?.code ?? 'NO_DATA'] ?? 0) + 1;
          },
          (error) => {
            const code = /timed out/i.test(error?.message ?? '') ? 'ACK_TIMEOUT' : 'EMIT_FAILED';
            errors[code] = (errors[code] ?? 0) + 1;
          },
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
    });
    await Promise.all(inflight);
    return { acked, errors, ackMs, worstLagMs, sent };
  },

  ...common,
});
