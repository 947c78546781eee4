// The flat-cost scenario's client: one user's requests, one at a time (seeding aside), direct to
// one backend, so the parent can divide each phase's server cost by the operations it made.
import { setTimeout as sleep } from 'node:timers/promises';
import { io } from 'socket.io-client';
import { pool, serve } from '../lib/serve.mjs';

let socket = null;

/** @param {string} baseUrl @param {string} token @param {string} method @param {string} path @param {{ body?: unknown, key?: string, timeoutMs?: number }} [opts] @returns {Promise<{ status: number, json?: any }>} */
async function request(baseUrl, token, method, path, { body, key, timeoutMs = 30_000 } = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...(key ? { 'idempotency-key': key } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported by status
  }
  return { status: res.status, json };
}

const countError = (errors, code) => {
  errors[code] = (errors[code] ?? 0) + 1;
};

/** Runs `op(i)` `count` times in turn; each resolves with null (done) or an error code. */
async function sequential(count, op) {
  const ms = [];
  const errors = {};
  let ok = 0;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    let code;
    try {
      code = await op(i);
    } catch (error) {
      code = error?.name === 'TimeoutError' ? 'TIMEOUT' : `FAILED_${error?.cause?.code ?? error?.name ?? 'UNKNOWN'}`;
    }
    ms.push(performance.now() - t);
    if (code) countError(errors, code);
    else ok++;
  }
  return { count, ok, errors, ms };
}

serve({
  /**
   * Gives the user `count` todos (POST /api/todos, `concurrency` at once; no more are sent after
   * `maxMs`), then updates and deletes a few of them. Resolves with how many writes were
   * acknowledged (the user's seq after them).
   */
  async seed({ baseUrl, token, count, concurrency = 8, updates = 0, deletes = 0, maxMs = Infinity }) {
    const errors = {};
    const ids = new Array(count);
    const started = performance.now();
    let stoppedEarly = false;
    await pool(
      Array.from({ length: count }, (_, i) => i),
      concurrency,
      async (i) => {
        // Past the time budget no more creates are sent (a build whose writes slow down as data grows).
        if (performance.now() - started > maxMs) {
          stoppedEarly = true;
          return;
        }
        for (let attempt = 0; attempt < 5; attempt++) {
          const r = await request(baseUrl, token, 'POST', '/api/todos', { body: { title: `flat seed ${i}` } }).catch(() => ({ status: 0, json: undefined }));
          if (r.status === 201) {
            ids[i] = r.json.id;
            return;
          }
          countError(errors, `create_${r.status}`);
          await sleep(200);
        }
      },
    );
    const created = ids.filter(Boolean);
    // A few changes from the middle of the list (not the first page): updates, then deletes.
    const middle = created.slice(Math.floor(created.length / 3));
    let updated = 0;
    let deleted = 0;
    for (const id of middle.slice(0, updates)) {
      const r = await request(baseUrl, token, 'PATCH', `/api/todos/${id}`, { body: { completed: true } });
      if (r.status === 200) updated++;
      else countError(errors, `update_${r.status}`);
    }
    for (const id of middle.slice(updates, updates + deletes)) {
      const r = await request(baseUrl, token, 'DELETE', `/api/todos/${id}`);
      if (r.status === 204) deleted++;
      else countError(errors, `delete_${r.status}`);
    }
    return { created: created.length, updated, deleted, writes: created.length + updated + deleted, errors, stoppedEarly, ms: performance.now() - started };
  },

  /** `count` creates in turn; with `keyPrefix`, each carries its own Idempotency-Key. */
  async writes({ baseUrl, token, count, keyPrefix }) {
    return sequential(count, async (i) => {
      const r = await request(baseUrl, token, 'POST', '/api/todos', { body: { title: `flat write ${i}` }, key: keyPrefix ? `${keyPrefix}-${i}` : undefined });
      return r.status === 201 && r.json?.id ? null : `HTTP_${r.status}`;
    });
  },

  /** `count` first pages of `limit` in turn; a page shorter than `expect` is an error. */
  async lists({ baseUrl, token, count, limit = 20, expect = limit }) {
    return sequential(count, async () => {
      const r = await request(baseUrl, token, 'GET', `/api/todos?limit=${limit}`);
      if (r.status !== 200) return `HTTP_${r.status}`;
      return (r.json?.items?.length ?? 0) >= expect ? null : 'SHORT_PAGE';
    });
  },

  /** One socket to `baseUrl` (websocket only); resolves with the `hello`. */
  async connect({ baseUrl, token, timeoutMs = 20_000 }) {
    socket?.close();
    socket = io(baseUrl, { path: '/socket.io/', transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false, timeout: timeoutMs });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no hello within ${timeoutMs} ms`)), timeoutMs);
      socket.once('hello', (hello) => {
        clearTimeout(timer);
        resolve(hello);
      });
      socket.once('connect_error', (error) => {
        clearTimeout(timer);
        reject(new Error(`connect_error: ${error?.message}`));
      });
    });
  },

  /** One `sync`, answered with the seq, whether it was a reset and how many changes it carried. */
  async syncOnce({ since, timeoutMs = 30_000 }) {
    const res = await socket.timeout(timeoutMs).emitWithAck('sync', { since });
    if (!res?.data) throw new Error(`sync answered ${JSON.stringify(res?.error ?? res)}`);
    return { seq: res.data.seq, reset: res.data.reset === true, changes: res.data.changes?.length ?? null, todos: res.data.todos?.length ?? null };
  },

  /** `count` syncs in turn, each from `since`; a reset or fewer than `expect` changes is an error. */
  async syncs({ count, since, expect, timeoutMs = 30_000 }) {
    return sequential(count, async () => {
      const res = await socket.timeout(timeoutMs).emitWithAck('sync', { since });
      if (!res?.data) return res?.error?.code ?? 'NO_DATA';
      if (res.data.reset) return 'RESET';
      return (res.data.changes?.length ?? 0) >= expect ? null : 'FEW_CHANGES';
    });
  },

  closeSocket() {
    socket?.close();
    socket = null;
    return {};
  },

  exit() {
    socket?.close();
  },
});
