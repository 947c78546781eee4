#!/usr/bin/env node
// The floor under one product write: what the Node runtime and our client libraries alone cost on
// this machine, in CPU of the process doing the work, for each thing a write makes the backends
// do, with no application logic at all. The real backends spend 3.78 ms of CPU per write, summed
// over the 3 backend processes (docs/PERFORMANCE.md, 3,000 sockets @ 200/s); the floor says how
// much of that any Node backend built on these libraries would spend here, and so how much is ours.
//
// The parts, each in processes of its own, at 70 writes/s (200 writes/s spread over 3 backends:
// the requests one backend answers) and at 200/s (what each backend receives from the relay and
// emits to its devices, since a write reaches a device on every backend):
//   1. HTTP in/out: a POST with a ~120-byte JSON body, JSON.parse, 201 with a ~350-byte JSON body,
//      from a keep-alive client in another process; a bare node:http server, then Express 5 with
//      express.json() and one route (the framework's share).
//   2. Redis round trip: ioredis (no auto-pipelining) EVALSHA of a one-line Lua script against a
//      private redis-server; 3 in a row per write (lock acquire, lock release, rate-limit check).
//   3. Store insert: the mongodb driver's insertMany([doc], { ordered: false }) of a ~300-byte
//      (BSON) todo, and the same insert as a raw `insert` command (the share of the driver's
//      bulk-write machinery), into a private FerretDB on a private PostgreSQL started the way the
//      cluster starts them (scripts/cluster/services/mongo.mjs). Node's CPU is the part; what
//      FerretDB and its PostgreSQL spend per insert is printed beside it, not counted.
//   4. Relay: one PUBLISH of a ~450-byte message (publisher), received and JSON.parse'd by 3 ioredis
//      subscribers in 3 processes (CPU per message received, mean of the 3).
//   5. Delivery: a Socket.IO server with --sockets websocket-only clients connected from another
//      process, each in a room of its own; one ~450-byte `todo:created` event to one room per emit.
// Floor per write = HTTP + 3 x Redis round trip + 1 insert + 1 publish + 3 x message received +
// 3 x emit (a write reaches 3 devices on 3 processes).
//
// How: every measured process is forked from this file with a role argument, and its load comes
// from another process (the HTTP client, the Socket.IO clients, Redis PUBLISH) or, where the
// measured process is the one that starts the work (Redis, store, publisher, Socket.IO server),
// from a timer in it at the rate. That timer's wake-up is not in a real write (there the request
// or the relay message wakes the process, and that is counted in parts 1 and 4): it is measured
// alone ("timer pacing") and subtracted from the timer-paced parts, once per write. CPU comes from
// /proc/<pid>/task/*/schedstat (nanoseconds; /proc/<pid>/stat counts 10 ms ticks, too coarse for a
// 2 s step at 70/s) over the step's window only, after a warm-up: once per process a burst of up
// to 2,000 operations (V8 optimizes the hot code only after thousands of calls, and a backend that
// has run for a while is warm: without it a bare HTTP request cost here twice as much), then 1 s at
// the rate. Every step throws unless at least 90% of its planned operations were done (answered,
// acknowledged, received), so a broken step cannot print a small floor.
//
// Cross-check, with no timer to subtract: the same parts as a backend runs them, one process per
// role: a writer woken only by the request (bare HTTP: 3 EVALSHA, the insertMany and the PUBLISH,
// then the 201) and a receiver (subscriber and Socket.IO server: message in, JSON.parse, one
// emit). Writer + 3 x receiver is the floor measured a second way.
//
// Read the load line with the numbers: on this 2-vCPU VM one wake-up of an idle process (the timer
// pacing row) costs 80-200 µs of CPU, more than most parts' own work, and every part moves by
// tens of percent with what else the machine runs. Not in the floor: the Socket.IO Redis adapter
// the backend emits through (here the in-memory one), TLS, logging, the store's and Redis's CPU.
//
//   node bench/micro/write-floor.mjs [--seconds N] [--quick] [--sockets N]
//     --seconds N  seconds per step and rate (default 8; 2 with --quick)
//     --quick      2 s per step, 70/s only
//     --sockets N  Socket.IO clients connected to the server (default 100)
// Listens on 27017 (FerretDB), 27032 (its PostgreSQL), 27079 (Redis), 27080 (HTTP), 27081
// (Socket.IO); keeps PostgreSQL's files in .data/write-floor/ while it runs. Writes
// bench/results/write-floor.md and bench/results/write-floor.json.
import { execFile, fork, spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { postgresIdentity } from '../../scripts/cluster/postgres.mjs';
import { findPostgresBin, mongoServer } from '../../scripts/lib/executables.mjs';
import { markdownTable } from '../lib/stats.mjs';

const SELF = new URL(import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const PORTS = { mongo: 27017, postgres: 27032, redis: 27079, http: 27080, io: 27081 };
const WARM_S = 1;
/** The JIT warm-up, once per process before its first step: this many operations, 4 at a time, for at most BURST_MS. */
const BURST = 2_000;
const BURST_MS = 3_000;
/** After the warm-up, before the window: lets what is in flight land (relay messages, events). */
const SETTLE_MS = 300;
/** After the last operation of the window: how long receivers may take to get the rest. */
const DRAIN_MS = 3_000;
const SUBSCRIBERS = 3;
const CHANNEL = 'write-floor:relay';
const LUA = "return redis.call('get', KEYS[1])";
const REAL_BACKEND_MS = 3.78;

/** @typedef {{ [key: string]: any }} Msg */

// ---- Payloads, each padded (a todo's title) to the size of its counterpart in a product write. ----

const USER_ID = '3f8e2a4c-9b1d-4e7a-8c2f-5d6b7a8e9f01';
const SESSION_ID = '0b9d6e3a-2c7f-4a1e-8d5b-6f4c3e2a1b90';
const FILL =
  'Renew the car insurance before the end of the month, compare the two quotes from last week, call the broker back about the windscreen cover and file the old policy papers';
const AT = '2026-12-07T15:42:07.123Z';
const uuidOf = (n, prefix = '7c1e4a2b') => `${prefix}-5d3f-4e8a-9b6c-${String(n).padStart(12, '0')}`;
const bytes = (s) => Buffer.byteLength(s);
const jsonBytes = (v) => bytes(JSON.stringify(v));
/** `build(title)` with the shortest start of FILL as the title that makes `size` of it reach `target` bytes. */
function sized(target, size, build) {
  for (let len = 8; len <= FILL.length; len++) {
    const out = build(FILL.slice(0, len));
    if (size(out) >= target) return out;
  }
  throw new Error(`cannot pad a payload to ${target} bytes`);
}
const todoOf = (title, seq, at = AT) => ({ id: uuidOf(seq), userId: USER_ID, seq, title, completed: false, pos: 1048576 + seq, createdAt: at, updatedAt: at });

const REQUEST_BODY = JSON.stringify(sized(120, jsonBytes, (title) => ({ id: uuidOf(1), title, pos: 1048576 })));
/** A real write carries one; nothing here checks it. */
const AUTHORIZATION = `Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.${'eyJzdWIiOiJ1c2VyIiwic2lkIjoic2Vzc2lvbiJ9'.repeat(3)}.${'x'.repeat(43)}`;
/** The 201 body, from the parsed request (~350 bytes with REQUEST_BODY's title). */
const responseOf = (body, seq) => ({ todo: { ...todoOf(body.title, seq, new Date().toISOString()), id: body.id, pos: body.pos, version: 1 }, seq, sessionId: SESSION_ID });
const RELAY_MESSAGE = sized(450, bytes, (title) =>
  JSON.stringify({
    from: 'backend-2:9a7f3c1e',
    audience: { userId: USER_ID, exceptSessionId: SESSION_ID },
    announcement: { kind: 'change', change: { type: 'todo:created', todo: todoOf(title, 1234), seq: 1234 } },
  }),
);
/** As Socket.IO sends it: `42["todo:created",{...}]`. */
const eventBytes = (payload) => 2 + jsonBytes(['todo:created', payload]);
const EVENT = sized(450, eventBytes, (title) => ({ todo: todoOf(title, 1234), seq: 1234, at: AT, sessionId: SESSION_ID }));

// ---- Helpers of the forked roles. ----

/**
 * Runs `op` `count` times at `rate` per second (each at its time, not waiting for the ones
 * before); resolves with how many of them resolved true.
 * @param {() => Promise<boolean>} op
 */
async function paced(rate, count, op) {
  const t0 = performance.now();
  const jobs = [];
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    jobs.push(op().catch(() => false));
  }
  return (await Promise.all(jobs)).filter(Boolean).length;
}

/**
 * Runs `op` BURST times, 4 at a time, as fast as it goes (for at most BURST_MS), letting I/O in
 * every 50 operations (an emit is synchronous).
 * @param {() => Promise<boolean>} op
 */
async function burst(op) {
  const until = performance.now() + BURST_MS;
  let started = 0;
  const lane = async () => {
    while (started < BURST && performance.now() < until) {
      if (++started % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      await op().catch(() => false);
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}

/**
 * In a process that starts the work: `warm` runs the warm-up (the burst first, the first time),
 * then says so after SETTLE_MS; `go` runs the window and answers how many operations were done.
 * @param {() => Promise<boolean>} op
 */
function pacer(op) {
  let warmed = false;
  process.on('message', (raw) => {
    const m = /** @type {Msg} */ (raw);
    if (m.cmd === 'warm') {
      void (warmed ? Promise.resolve() : burst(op))
        .then(() => {
          warmed = true;
          return paced(m.rate, m.count, op);
        })
        .then((done) => sleep(SETTLE_MS, done))
        .then((done) => process.send?.({ mark: 'warm', done }));
    } else if (m.cmd === 'go') {
      void paced(m.rate, m.count, op).then((done) => process.send?.({ mark: 'end', done }));
    }
  });
}

/** In a process that receives the work: returns the function to call per arrival; answers `count`, and `notify` once the count reaches `at`. */
function counter() {
  let count = 0;
  let notifyAt = Infinity;
  const check = () => {
    if (count < notifyAt) return;
    notifyAt = Infinity;
    process.send?.({ reached: true });
  };
  process.on('message', (raw) => {
    const m = /** @type {Msg} */ (raw);
    if (m.cmd === 'count') process.send?.({ count });
    else if (m.cmd === 'notify') {
      notifyAt = m.at;
      check();
    }
  });
  return () => {
    count++;
    check();
  };
}

/** A bare node:http server on PORTS.http: POST body in, JSON.parse, `handle(body)` (a value or a promise of one) out as 201. */
function bareServer(handle) {
  const send = (res, value) => {
    const out = JSON.stringify(value);
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  };
  return http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const value = handle(body);
      if (value instanceof Promise)
        value.then(
          (v) => send(res, v),
          () => res.writeHead(500).end(),
        );
      else send(res, value);
    });
  });
}

/** An ioredis client of the private redis-server, as the backend makes them (no auto-pipelining). */
async function redisClient() {
  const { Redis } = await import('ioredis');
  return new Redis(PORTS.redis, '127.0.0.1', { enableAutoPipelining: false });
}

/** Loads LUA on `redis`; resolves with the function making one write's 3 EVALSHA round trips (true when all answered). */
async function lockTrips(redis) {
  await redis.set('write-floor:key', 'value');
  const sha = /** @type {string} */ (await redis.script('LOAD', LUA));
  return async () => {
    for (let i = 0; i < 3; i++) if ((await redis.evalsha(sha, 1, 'write-floor:key')) !== 'value') return false;
    return true;
  };
}

/** The todos collection in the private FerretDB, and `nextDoc()`: a new ~300-byte (BSON) todo each call. */
async function openStore() {
  const { MongoClient, BSON } = await import('mongodb');
  const client = await MongoClient.connect(`mongodb://127.0.0.1:${PORTS.mongo}/`, { serverSelectionTimeoutMS: 10_000 });
  const db = client.db('write_floor');
  if (!(await db.listCollections({ name: 'todos' }).hasNext())) await db.createCollection('todos');
  /** @typedef {{ _id: string, userId: string, seq: number, title: string, completed: boolean, createdAt: Date, updatedAt: Date, pos: number }} TodoDoc */
  const todos = /** @type {import('mongodb').Collection<TodoDoc>} */ (db.collection('todos'));
  const prefix = process.pid.toString(16).padStart(8, '0');
  /** @returns {TodoDoc} */
  const docOf = (title, seq) => ({ _id: uuidOf(seq, prefix), userId: USER_ID, seq, title, completed: false, createdAt: new Date(), updatedAt: new Date(), pos: 1048576 + seq });
  const title = sized(
    300,
    (doc) => BSON.calculateObjectSize(doc),
    (t) => docOf(t, 1),
  ).title;
  let seq = 0;
  return { db, todos, nextDoc: () => docOf(title, ++seq), docBytes: BSON.calculateObjectSize(docOf(title, 1)) };
}

/** A Socket.IO server on PORTS.io, websocket only; each socket joins the room of the `user` it names. */
async function socketServer() {
  const { Server } = await import('socket.io');
  const server = http.createServer();
  const io = new Server(server, { transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => void socket.join(`user:${socket.handshake.auth.user}`));
  await new Promise((resolve) => server.listen(PORTS.io, '127.0.0.1', () => resolve(true)));
  return io;
}

const role = process.argv[2];
// A forked role ends with the process that forked it.
if (process.send) process.once('disconnect', () => process.exit(0));

if (role === 'http-server') {
  let seq = 0;
  /** @type {http.Server} */
  let server;
  if (process.env.VARIANT === 'express') {
    const { default: express } = await import('express');
    const app = express();
    app.use(express.json());
    app.post('/todos', (req, res) => void res.status(201).json(responseOf(req.body, ++seq)));
    server = http.createServer(app);
  } else {
    server = bareServer((body) => responseOf(body, ++seq));
  }
  server.listen(PORTS.http, '127.0.0.1', () => process.send?.({ ready: true }));
} else if (role === 'http-load') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const headers = { 'content-type': 'application/json', 'content-length': bytes(REQUEST_BODY), authorization: AUTHORIZATION };
  /** @returns {Promise<boolean>} */
  const post = () =>
    new Promise((resolve) => {
      const req = http.request({ agent, host: '127.0.0.1', port: PORTS.http, method: 'POST', path: '/todos', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 201));
      });
      req.on('error', () => resolve(false));
      req.end(REQUEST_BODY);
    });
  pacer(post);
  process.send?.({ ready: true });
} else if (role === 'pacing') {
  pacer(async () => true);
  process.send?.({ ready: true });
} else if (role === 'redis') {
  pacer(await lockTrips(await redisClient()));
  process.send?.({ ready: true });
} else if (role === 'store') {
  const { db, todos, nextDoc, docBytes } = await openStore();
  pacer(
    process.env.VARIANT === 'command'
      ? async () => {
          const reply = await db.command({ insert: 'todos', documents: [nextDoc()], ordered: false });
          return reply.ok === 1 && reply.n === 1;
        }
      : async () => (await todos.insertMany([nextDoc()], { ordered: false })).insertedCount === 1,
  );
  process.send?.({ ready: true, docBytes });
} else if (role === 'publisher') {
  const pub = await redisClient();
  const expected = Number(process.env.EXPECTED);
  pacer(async () => (await pub.publish(CHANNEL, RELAY_MESSAGE)) === expected);
  process.send?.({ ready: true });
} else if (role === 'subscriber') {
  const sub = await redisClient();
  const received = counter();
  sub.on('message', (_channel, raw) => {
    const message = /** @type {Msg} */ (JSON.parse(raw));
    if (message.announcement) received();
  });
  await sub.subscribe(CHANNEL);
  process.send?.({ ready: true });
} else if (role === 'io-server') {
  const io = await socketServer();
  const sockets = Number(process.env.SOCKETS);
  let next = 0;
  pacer(async () => {
    io.to(`user:${next++ % sockets}`).emit('todo:created', EVENT);
    return true;
  });
  process.send?.({ ready: true });
} else if (role === 'io-clients') {
  const { io } = await import('socket.io-client');
  const sockets = Number(process.env.SOCKETS);
  const received = counter();
  const clients = [];
  for (let from = 0; from < sockets; from += 50) {
    const batch = [];
    for (let user = from; user < Math.min(sockets, from + 50); user++) {
      const socket = io(`http://127.0.0.1:${PORTS.io}`, { transports: ['websocket'], auth: { user }, reconnection: false, forceNew: true });
      socket.on('todo:created', () => received());
      clients.push(socket);
      batch.push(
        new Promise((resolve, reject) => {
          socket.once('connect', () => resolve(true));
          socket.once('connect_error', reject);
        }),
      );
    }
    await Promise.all(batch);
  }
  process.send?.({ ready: true, connected: clients.filter((s) => s.connected).length });
} else if (role === 'writer') {
  // Cross-check: the writer's parts in one process, woken only by the request, as in a backend.
  const trips = await lockTrips(await redisClient());
  const pub = await redisClient();
  const { todos, nextDoc } = await openStore();
  let seq = 0;
  const server = bareServer(async (body) => {
    if (!(await trips())) throw new Error('EVALSHA failed');
    await todos.insertMany([nextDoc()], { ordered: false });
    await pub.publish(CHANNEL, RELAY_MESSAGE);
    return responseOf(body, ++seq);
  });
  server.listen(PORTS.http, '127.0.0.1', () => process.send?.({ ready: true }));
} else if (role === 'receiver') {
  // Cross-check: a receiving process's parts in one process: relay message in, JSON.parse, one emit.
  const io = await socketServer();
  const sockets = Number(process.env.SOCKETS);
  const sub = await redisClient();
  let next = 0;
  sub.on('message', (_channel, raw) => {
    const message = /** @type {Msg} */ (JSON.parse(raw));
    if (message.announcement) io.to(`user:${next++ % sockets}`).emit('todo:created', EVENT);
  });
  await sub.subscribe(CHANNEL);
  process.send?.({ ready: true });
} else {
  await main();
}

// ---- The measuring process. ----

async function main() {
  const argv = process.argv.slice(2);
  const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const quick = argv.includes('--quick');
  const seconds = Number(option('--seconds') ?? (quick ? 2 : 8));
  const sockets = Number(option('--sockets') ?? 100);
  const rates = quick ? [70] : [70, 200];
  if (!(seconds > 0) || !(sockets > 0)) throw new Error('usage: node bench/micro/write-floor.mjs [--seconds N] [--quick] [--sockets N]');
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
  const startedAt = new Date();
  const log = (line) => console.log(`[write-floor] ${line}`);

  /** CPU time so far of every thread of `pid`, in ns (0 once it is gone). */
  const cpuNs = (pid) => {
    let ns = 0;
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return 0;
    }
    for (const tid of tids) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* the thread ended */
      }
    }
    return ns;
  };
  if (!(cpuNs(process.pid) > 0)) throw new Error('/proc/<pid>/task/<tid>/schedstat is not available on this kernel');
  /** `roots` and all their descendants. */
  const processTree = (roots) => {
    const children = new Map();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (!children.has(ppid)) children.set(ppid, []);
        children.get(ppid).push(Number(entry));
      } catch {
        /* the process ended */
      }
    }
    const out = [];
    const visit = (pid) => {
      out.push(pid);
      for (const child of children.get(pid) ?? []) visit(child);
    };
    roots.forEach(visit);
    return out;
  };

  // Everything started here, for the clean-up: forked roles, and servers with the signal that stops them.
  /** @type {Set<import('node:child_process').ChildProcess>} */
  const children = new Set();
  /** @type {{ name: string, proc: import('node:child_process').ChildProcess, signal: NodeJS.Signals }[]} */
  const servers = [];
  const exited = (proc) => new Promise((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve(true) : proc.once('exit', () => resolve(true))));
  const stop = async (proc, signal = /** @type {NodeJS.Signals} */ ('SIGTERM')) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await Promise.race([exited(proc), sleep(10_000)]);
  };
  /** @type {string[]} */
  const scratch = [];
  const cleanUp = async () => {
    for (const child of children) await stop(child);
    for (const { proc, signal } of servers.reverse()) await stop(proc, signal);
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
    for (const { proc, signal } of servers) proc.kill(signal);
  });
  for (const signal of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM'])) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

  /** The next message from `child` that passes `test`, or null on timeout or when it exits. */
  const nextMessage = (child, test, timeoutMs) =>
    new Promise((resolve) => {
      const done = (value) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (m) => test(m) && done(m);
      const onExit = () => done(null);
      const timer = setTimeout(() => done(null), timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ask = async (child, message, test, timeoutMs = 30_000) => {
    const answer = nextMessage(child, test, timeoutMs);
    child.send(message);
    const m = await answer;
    if (!m) throw new Error(`no answer to ${JSON.stringify(message)} from pid ${child.pid}`);
    return /** @type {Msg} */ (m);
  };
  /** Forks this file as `role` and waits for it to say it is ready; resolves with it and its ready message. */
  const start = async (role, env = {}) => {
    const child = fork(SELF, [role], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const ready = await nextMessage(child, (m) => m.ready, 60_000);
    if (!ready) throw new Error(`role ${role} did not start (see its error above)`);
    return { child, ready: /** @type {Msg} */ (ready) };
  };
  const assertFree = (port) =>
    new Promise((resolve, reject) => {
      const probe = net.createServer().once('error', () => reject(new Error(`port ${port} is in use`)));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  const waitForPort = async (port, proc, name) => {
    for (let i = 0; i < 300; i++) {
      if (proc.exitCode !== null) throw new Error(`${name} exited (code ${proc.exitCode})`);
      const open = await new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
      if (open) return;
      await sleep(100);
    }
    throw new Error(`${name} is not listening on ${port} after 30 s`);
  };

  /**
   * One step at `rate`: the warm-up, then a window of `seconds` during which the CPU of `measured`
   * (name -> child) and of the processes `extraRoots()` returns (with their descendants) is taken,
   * and what `receivers` got is counted (each must get one arrival per operation).
   */
  const measure = async ({ pacer, measured, receivers = [], extraRoots = () => [] }, rate) => {
    const planned = Math.round(rate * seconds);
    await ask(pacer, { cmd: 'warm', rate, count: rate * WARM_S }, (m) => m.mark === 'warm');
    const countOf = (r) => ask(r, { cmd: 'count' }, (m) => m.count !== undefined).then((m) => /** @type {number} */ (m.count));
    const counts0 = await Promise.all(receivers.map(countOf));
    const reached = Promise.all(receivers.map((r, i) => ask(r, { cmd: 'notify', at: counts0[i] + planned }, (m) => m.reached, seconds * 1000 + DRAIN_MS + 10_000))).catch(
      () => null,
    );
    await sleep(50); // the notify requests are in before the window
    const sample = () => ({
      ns: Object.fromEntries(Object.entries(measured).map(([name, child]) => [name, cpuNs(child.pid)])),
      extra: new Map(processTree(extraRoots()).map((pid) => [pid, cpuNs(pid)])),
    });
    const before = sample();
    const t0 = performance.now();
    const { done } = await ask(pacer, { cmd: 'go', rate, count: planned }, (m) => m.mark === 'end', seconds * 1000 + 30_000);
    if (receivers.length) await Promise.race([reached, sleep(DRAIN_MS)]);
    const after = sample();
    const windowS = (performance.now() - t0) / 1000;
    const received = (await Promise.all(receivers.map(countOf))).map((c, i) => c - counts0[i]);
    const cpuMs = Object.fromEntries(Object.keys(measured).map((name) => [name, (after.ns[name] - before.ns[name]) / 1e6]));
    let extraCpuMs = 0;
    for (const [pid, ns] of after.extra) extraCpuMs += (ns - (before.extra.get(pid) ?? 0)) / 1e6;
    const short = [done, ...received].some((n) => n < 0.9 * planned);
    if (short) throw new Error(`step at ${rate}/s did too little: planned ${planned}, done ${done}, received ${received.join(', ') || '-'}`);
    if (Object.values(cpuMs).some((ms) => !(ms > 0))) throw new Error(`step at ${rate}/s measured no CPU: ${JSON.stringify(cpuMs)}`);
    return { rate, planned, done, received, windowS: Number(windowS.toFixed(2)), cpuMs, extraCpuMs };
  };
  const us = (ms, ops) => (ms * 1000) / ops;
  /** The step of part `key` at `rate`. */
  const stepOf = (key, rate) => {
    const row = results.parts[key]?.find((r) => r.rate === rate);
    if (!row) throw new Error(`no ${key} step at ${rate}/s`);
    return row;
  };

  // ---- Servers: Redis, PostgreSQL and FerretDB, all private to this run. ----
  for (const port of Object.values(PORTS)) await assertFree(port);
  const ferretdb = mongoServer(ROOT);
  if (ferretdb.kind !== 'ferretdb') log(`note: mongod is on PATH, but this measures against FerretDB (${ferretdb.bin})`);
  const ferretBin = join(ROOT, '.tools', 'bin', 'ferretdb');
  if (!existsSync(ferretBin)) throw new Error(`${ferretBin} not found (node scripts/setup.mjs builds it)`);
  const pgBin = findPostgresBin();
  if (!pgBin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (run node scripts/setup.mjs)');
  const base = join(ROOT, '.data', 'write-floor');
  mkdirSync(base, { recursive: true });
  const tmp = mkdtempSync(join(base, 'run-'));
  scratch.push(tmp);
  const who = postgresIdentity(); // postgres refuses root: as root, it runs as the cluster's `cobalt` user
  const asUser = who ? { uid: who.uid, gid: who.gid } : {};
  const pgData = join(tmp, 'postgres');
  const pgRun = join(tmp, 'run');
  const logFile = (name) => openSync(join(tmp, `${name}.log`), 'a');
  const tailOf = (name) => {
    try {
      return readFileSync(join(tmp, `${name}.log`), 'utf8')
        .split('\n')
        .slice(-15)
        .join('\n');
    } catch {
      return '';
    }
  };
  /** @param {string} name @param {string} bin @param {string[]} args @param {object} options */
  const serve = (name, bin, args, signal, options = {}) => {
    const fd = logFile(name);
    const proc = spawn(bin, args, { stdio: ['ignore', fd, fd], ...options });
    closeSync(fd);
    proc.once('error', (error) => log(`${name} failed to start: ${error.message}`));
    servers.push({ name, proc, signal });
    return proc;
  };

  const results = { parts: /** @type {Record<string, any[]>} */ ({}), sizes: /** @type {Record<string, number>} */ ({}) };
  let failed = null;
  try {
    const pgEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };
    mkdirSync(pgData, { mode: 0o700 });
    mkdirSync(pgRun);
    if (who) for (const dir of [tmp, pgData, pgRun]) chownSync(dir, who.uid, who.gid);
    log(`starting redis-server :${PORTS.redis}, PostgreSQL :${PORTS.postgres} and FerretDB :${PORTS.mongo} (files in ${tmp})`);
    const redis = serve('redis', 'redis-server', ['--port', String(PORTS.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], 'SIGTERM');
    await promisify(execFile)(join(pgBin, 'initdb'), ['-D', pgData, '-U', 'cobalt', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
      env: pgEnv,
      ...asUser,
    }).catch((error) => Promise.reject(new Error(`initdb failed: ${error.stderr || error.message}`)));
    const postgres = serve('postgres', join(pgBin, 'postgres'), ['-D', pgData, '-p', String(PORTS.postgres), '-h', '127.0.0.1', '-k', pgRun], 'SIGINT', { env: pgEnv, ...asUser });
    for (let i = 0; ; i++) {
      const created = await promisify(execFile)(join(pgBin, 'createdb'), ['-h', pgRun, '-p', String(PORTS.postgres), '-U', 'cobalt', 'ferretdb'], { env: pgEnv }).then(
        () => true,
        () => false,
      );
      if (created) break;
      if (postgres.exitCode !== null || i > 150) throw new Error(`PostgreSQL did not start:\n${tailOf('postgres')}`);
      await sleep(200);
    }
    const ferret = serve(
      'ferretdb',
      ferretBin,
      [
        '--handler=postgresql',
        `--postgresql-url=postgres://cobalt@/ferretdb?host=${pgRun}&port=${PORTS.postgres}`,
        `--listen-addr=127.0.0.1:${PORTS.mongo}`,
        `--state-dir=${tmp}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=warn',
      ],
      'SIGTERM',
    );
    await waitForPort(PORTS.redis, redis, 'redis-server');
    await waitForPort(PORTS.mongo, ferret, 'FerretDB').catch((error) => Promise.reject(new Error(`${error.message}\n${tailOf('ferretdb')}`)));
    const rateList = rates.map((r) => `${r}/s`).join(' and ');
    log(`load before start ${loadBefore}; ${seconds} s per step after a warm-up (${BURST} operations once, then ${WARM_S} s at the rate), at ${rateList}`);

    /** Runs every rate on the processes `setup` starts, `compute`s each step's numbers, then stops them. */
    const part = async (key, label, setup, compute) => {
      const started = await setup();
      const out = [];
      try {
        for (const rate of rates) {
          const step = await measure(started.spec, rate);
          const numbers = compute(step);
          log(
            `${label} @ ${rate}/s: ${Object.entries(numbers)
              .map(([k, v]) => `${k} ${v.toFixed(1)}`)
              .join(', ')} (done ${step.done}/${step.planned}${step.received.length ? `, received ${step.received.join('/')}` : ''})`,
          );
          out.push({ ...step, ...numbers });
        }
      } finally {
        await Promise.all(started.procs.map((proc) => stop(proc)));
      }
      results.parts[key] = out;
    };

    await part(
      'pacing',
      'timer pacing alone',
      async () => {
        const { child } = await start('pacing');
        return { spec: { pacer: child, measured: { pacing: child } }, procs: [child] };
      },
      (s) => ({ usPerOp: us(s.cpuMs.pacing, s.done) }),
    );
    const pacingUs = (rate) => stepOf('pacing', rate).usPerOp;

    for (const variant of ['bare', 'express']) {
      await part(
        `http-${variant}`,
        `HTTP ${variant}`,
        async () => {
          const { child: server } = await start('http-server', { VARIANT: variant });
          const { child: load } = await start('http-load');
          return { spec: { pacer: load, measured: { server } }, procs: [load, server], load };
        },
        (s) => ({ usPerOp: us(s.cpuMs.server, s.done) }),
      );
    }
    results.sizes.requestBytes = bytes(REQUEST_BODY);
    results.sizes.responseBytes = jsonBytes(responseOf(JSON.parse(REQUEST_BODY), 1234));

    await part(
      'redis',
      'Redis EVALSHA x3',
      async () => {
        const { child } = await start('redis');
        return { spec: { pacer: child, measured: { redis: child } }, procs: [child] };
      },
      (s) => ({ rawUsPerOp: us(s.cpuMs.redis, s.done * 3), usPerOp: (us(s.cpuMs.redis, s.done) - pacingUs(s.rate)) / 3 }),
    );

    for (const variant of ['insertMany', 'command']) {
      await part(
        `store-${variant}`,
        `store ${variant}`,
        async () => {
          const { child, ready } = await start('store', { VARIANT: variant });
          results.sizes.docBytes = ready.docBytes;
          const pids = [ferret.pid, postgres.pid].filter((pid) => pid !== undefined);
          return { spec: { pacer: child, measured: { node: child }, extraRoots: () => pids }, procs: [child] };
        },
        (s) => ({ rawUsPerOp: us(s.cpuMs.node, s.done), usPerOp: us(s.cpuMs.node, s.done) - pacingUs(s.rate), storeUsPerOp: us(s.extraCpuMs, s.done) }),
      );
    }

    await part(
      'relay',
      'relay',
      async () => {
        const subs = [];
        for (let i = 0; i < SUBSCRIBERS; i++) subs.push((await start('subscriber')).child);
        const { child: publisher } = await start('publisher', { EXPECTED: String(SUBSCRIBERS) });
        const measured = Object.fromEntries([['publisher', publisher], ...subs.map((sub, i) => [`subscriber${i + 1}`, sub])]);
        return { spec: { pacer: publisher, measured, receivers: subs }, procs: [publisher, ...subs] };
      },
      (s) => {
        const perSub = s.received.map((n, i) => us(s.cpuMs[`subscriber${i + 1}`], n));
        return {
          rawPublishUs: us(s.cpuMs.publisher, s.done),
          publishUs: us(s.cpuMs.publisher, s.done) - pacingUs(s.rate),
          receiveUs: perSub.reduce((a, b) => a + b, 0) / perSub.length,
          receiveUsMax: Math.max(...perSub),
        };
      },
    );
    results.sizes.relayBytes = bytes(RELAY_MESSAGE);

    await part(
      'emit',
      'Socket.IO emit',
      async () => {
        const { child: server } = await start('io-server', { SOCKETS: String(sockets) });
        const { child: clients, ready } = await start('io-clients', { SOCKETS: String(sockets) });
        if (ready.connected !== sockets) throw new Error(`only ${ready.connected} of ${sockets} sockets connected`);
        return { spec: { pacer: server, measured: { server }, receivers: [clients] }, procs: [clients, server] };
      },
      (s) => ({ rawUsPerOp: us(s.cpuMs.server, s.done), usPerOp: us(s.cpuMs.server, s.done) - pacingUs(s.rate) }),
    );
    results.sizes.eventBytes = eventBytes(EVENT);

    // Cross-checks, with no timer to subtract: the same parts as a backend runs them, in one process each.
    await part(
      'writer',
      'writer in one process',
      async () => {
        const { child: writer } = await start('writer');
        const { child: load } = await start('http-load');
        return { spec: { pacer: load, measured: { writer } }, procs: [load, writer] };
      },
      (s) => ({ usPerOp: us(s.cpuMs.writer, s.done) }),
    );
    await part(
      'receiver',
      'receiver in one process',
      async () => {
        const { child: receiver } = await start('receiver', { SOCKETS: String(sockets) });
        const { child: clients, ready } = await start('io-clients', { SOCKETS: String(sockets) });
        if (ready.connected !== sockets) throw new Error(`only ${ready.connected} of ${sockets} sockets connected`);
        const { child: publisher } = await start('publisher', { EXPECTED: '1' });
        return { spec: { pacer: publisher, measured: { receiver }, receivers: [clients] }, procs: [publisher, clients, receiver] };
      },
      (s) => ({ usPerOp: us(s.cpuMs.receiver, s.received[0]) }),
    );
  } catch (error) {
    failed = error;
  } finally {
    await cleanUp();
    if (!readdirSync(base).length) rmSync(base, { recursive: true, force: true });
  }
  if (failed) throw failed;
  const loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();

  // ---- Report. ----
  const { parts, sizes } = results;
  const at = (key, rate, field = 'usPerOp') => stepOf(key, rate)[field];
  const cols = rates.map((r) => `${r}/s`);
  const fmtUs = (v) => `${v.toFixed(1)} µs`;
  const netRaw = (key, rate, net = 'usPerOp', raw = 'rawUsPerOp') => `${fmtUs(at(key, rate, net))} (raw ${at(key, rate, raw).toFixed(1)})`;
  const partRows = [
    ['timer pacing alone (subtracted below where marked *)', 'pacing', '-', ...rates.map((r) => fmtUs(at('pacing', r)))],
    ['HTTP request in/out, bare node:http', 'server', '1', ...rates.map((r) => fmtUs(at('http-bare', r)))],
    ['HTTP request in/out, Express 5 + express.json()', 'server', '1', ...rates.map((r) => fmtUs(at('http-express', r)))],
    ['Redis round trip: ioredis EVALSHA *', 'backend', '3', ...rates.map((r) => netRaw('redis', r))],
    ['store insert: driver insertMany([doc], ordered: false) *', 'backend', '1', ...rates.map((r) => netRaw('store-insertMany', r))],
    ['store insert: raw insert command *', 'backend', '-', ...rates.map((r) => netRaw('store-command', r))],
    ['(not counted) FerretDB + its PostgreSQL per insertMany', 'store', '-', ...rates.map((r) => fmtUs(at('store-insertMany', r, 'storeUsPerOp')))],
    ['relay: PUBLISH *', 'publisher', '1', ...rates.map((r) => netRaw('relay', r, 'publishUs', 'rawPublishUs'))],
    ['relay: message received + JSON.parse (mean of 3)', 'subscriber', '3', ...rates.map((r) => fmtUs(at('relay', r, 'receiveUs')))],
    [`Socket.IO emit to one socket's room (${sockets} connected) *`, 'server', '3', ...rates.map((r) => netRaw('emit', r))],
    ['cross-check: writer (bare HTTP + 3 EVALSHA + insertMany + PUBLISH per request)', 'writer', '1', ...rates.map((r) => fmtUs(at('writer', r)))],
    ['cross-check: receiver (relay message + JSON.parse + one emit)', 'receiver', '3', ...rates.map((r) => fmtUs(at('receiver', r)))],
  ];
  const partsTable = markdownTable(['CPU per operation of the process doing it', 'process', 'per write', ...cols], partRows);

  /** The floor's terms at `pick(key, field)` (the µs of one part at some rate). */
  const terms = (pick) => [
    ['HTTP request (bare node:http)', 1, pick('http-bare', 'usPerOp')],
    ['Redis round trips', 3, pick('redis', 'usPerOp')],
    ['store insert (insertMany)', 1, pick('store-insertMany', 'usPerOp')],
    ['relay PUBLISH', 1, pick('relay', 'publishUs')],
    ['relay messages received', 3, pick('relay', 'receiveUs')],
    ['Socket.IO emits', 3, pick('emit', 'usPerOp')],
  ];
  const columns = rates.map((rate) => ({ label: `all at ${rate}/s`, pick: (key, field) => at(key, rate, field) }));
  if (rates.includes(70) && rates.includes(200)) {
    // What one backend sees in the fan-out at 200 writes/s: a third of the requests, every relay message.
    const receiving = new Set(['relay:receiveUs', 'emit:usPerOp', 'receiver:usPerOp']);
    columns.push({ label: 'fan-out mix (writer parts at 70/s, receiving parts at 200/s)', pick: (key, field) => at(key, receiving.has(`${key}:${field}`) ? 200 : 70, field) });
  }
  const floors = columns.map(({ label, pick }) => {
    const list = terms(pick);
    const restMs = list.slice(1).reduce((sum, [, n, v]) => sum + n * v, 0) / 1000;
    const bareMs = restMs + list[0][2] / 1000;
    const expressUs = pick('http-express', 'usPerOp');
    const expressMs = restMs + expressUs / 1000;
    const composite = { writerUs: pick('writer', 'usPerOp'), receiverUs: pick('receiver', 'usPerOp') };
    const compositeBareMs = (composite.writerUs + 3 * composite.receiverUs) / 1000;
    const compositeExpressMs = compositeBareMs + (expressUs - list[0][2]) / 1000;
    const counted = list.map(([name, n, v]) => ({ name, count: n, us: v, ms: (n * v) / 1000 }));
    return { label, terms: counted, expressUs, bareMs, expressMs, composite: { ...composite, bareMs: compositeBareMs, expressMs: compositeExpressMs } };
  });
  const ms = (v) => `${v.toFixed(3)} ms`;
  const floorRows = [
    ...floors[0].terms.map((t, i) => [`${t.count} x ${t.name}`, ...floors.map((f) => ms(f.terms[i].ms))]),
    ['**floor per write, bare HTTP**', ...floors.map((f) => `**${ms(f.bareMs)}**`)],
    ['**floor per write, Express instead of bare HTTP**', ...floors.map((f) => `**${ms(f.expressMs)}**`)],
    [`real backends (${REAL_BACKEND_MS} ms per write) / floor with Express`, ...floors.map((f) => `${(REAL_BACKEND_MS / f.expressMs).toFixed(1)}x`)],
    ['cross-check: 1 x writer process', ...floors.map((f) => ms(f.composite.writerUs / 1000))],
    ['cross-check: 3 x receiving process', ...floors.map((f) => ms((3 * f.composite.receiverUs) / 1000))],
    ['**cross-check floor, bare HTTP**', ...floors.map((f) => `**${ms(f.composite.bareMs)}**`)],
    ['**cross-check floor, Express instead of bare HTTP**', ...floors.map((f) => `**${ms(f.composite.expressMs)}**`)],
    [`real backends / cross-check floor with Express`, ...floors.map((f) => `${(REAL_BACKEND_MS / f.composite.expressMs).toFixed(1)}x`)],
  ];
  const floorTable = markdownTable(['floor per write (sum over the backend processes)', ...floors.map((f) => f.label)], floorRows);
  const shown = floors[floors.length - 1];
  const composition =
    'Floor per write = HTTP request + 3 x Redis round trip + 1 store insert (insertMany) + 1 PUBLISH + 3 x relay message received + 3 x Socket.IO emit, ' +
    `in the backend processes only (not the store, Redis or Caddy). At "${shown.label}": HTTP + ${shown.terms
      .slice(1)
      .map((t) => `${t.count} x ${t.us.toFixed(1)} µs`)
      .join(' + ')} = ${ms(shown.bareMs)} with bare node:http (${shown.terms[0].us.toFixed(1)} µs), ${ms(shown.expressMs)} with Express ` +
    `(${shown.expressUs.toFixed(1)} µs), against ${REAL_BACKEND_MS} ms measured for the real backends ` +
    `(${Math.abs(REAL_BACKEND_MS - shown.expressMs).toFixed(2)} ms ${REAL_BACKEND_MS >= shown.expressMs ? 'above' : 'below'} the floor with Express). ` +
    'Cross-check: the same parts run as a backend runs them, with no timer to subtract: one process answering the POST after its 3 EVALSHA, ' +
    `the insertMany and the PUBLISH (${shown.composite.writerUs.toFixed(1)} µs per write), and 3 processes each receiving the message and emitting it ` +
    `(${shown.composite.receiverUs.toFixed(1)} µs each): ${ms(shown.composite.bareMs)} with bare HTTP, ${ms(shown.composite.expressMs)} with Express's extra cost added.`;
  const sizeLine =
    `Payloads: request body ${sizes.requestBytes} B, response body ${sizes.responseBytes} B, todo document ${sizes.docBytes} B (BSON), ` +
    `relay message ${sizes.relayBytes} B, event ${sizes.eventBytes} B (Socket.IO packet).`;
  const header =
    `${startedAt.toISOString()}: load before start ${loadBefore} (after ${loadAfter}); ${os.availableParallelism()} cores; Node ${process.version}; ` +
    `${seconds} s per step after a warm-up (a burst of up to ${BURST} operations once per process, then ${WARM_S} s at the rate); ${sockets} Socket.IO clients.`;
  const notes =
    '* timer-paced (the process doing the work starts it from a timer at the rate): net of one timer wake-up per write (the first row), ' +
    'which a real write does not have (raw: as measured, per operation). CPU from /proc/<pid>/task/*/schedstat, over the step window only.';
  const markdown = ['# Write floor (bench/micro/write-floor.mjs)', '', header, '', sizeLine, '', partsTable, '', notes, '', floorTable, '', composition, ''].join('\n');
  console.log(`\n${markdown}`);
  const resultsDir = join(ROOT, 'bench', 'results');
  writeFileSync(join(resultsDir, 'write-floor.md'), markdown);
  const json = {
    at: startedAt.toISOString(),
    loadBefore,
    loadAfter,
    cores: os.availableParallelism(),
    node: process.version,
    seconds,
    warmS: WARM_S,
    burst: BURST,
    rates,
    sockets,
    sizes,
    parts,
    floors,
  };
  writeFileSync(join(resultsDir, 'write-floor.json'), `${JSON.stringify(json, null, 2)}\n`);
  log('wrote bench/results/write-floor.md and bench/results/write-floor.json');
}
