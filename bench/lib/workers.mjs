// Load runs in child processes of their own, so the numbers are not taken by the process that
// generates the load. Parent and worker talk over Node's IPC channel: `call(cmd, args)` runs the
// worker's handler of that name and resolves with what it returns; workers may also send events.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKERS_DIR = fileURLToPath(new URL('../workers/', import.meta.url));

/**
 * Starts `bench/workers/<name>.mjs` (or `opts.file`, a worker kept elsewhere) and resolves once it is listening.
 * @param {string} name
 * @param {{ env?: Record<string,string>, label?: string, maxOldSpaceMb?: number, file?: string }} [opts]
 */
export async function startWorker(name, opts = {}) {
  const execArgv = [`--max-old-space-size=${opts.maxOldSpaceMb ?? 2048}`];
  // BENCH_WORKER_CPU_PROF=<dir>: every worker writes a CPU profile there when it exits (for the load generator's own cost).
  if (process.env.BENCH_WORKER_CPU_PROF) execArgv.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WORKER_CPU_PROF}`);
  const child = fork(opts.file ?? `${WORKERS_DIR}${name}.mjs`, [], {
    execArgv,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const label = opts.label ?? name;
  const pending = new Map();
  const listeners = new Set();
  let nextId = 1;
  let exited = null;

  child.on('message', (/** @type {any} */ msg) => {
    if (msg?.type === 'event') {
      for (const fn of listeners) fn(msg.event, msg.data);
      return;
    }
    const call = pending.get(msg?.id);
    if (!call) return;
    pending.delete(msg.id);
    clearTimeout(call.timer);
    if (msg.error) call.reject(new Error(`${label} ${call.cmd}: ${msg.error}`));
    else call.resolve(msg.result);
  });
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    for (const call of pending.values()) {
      clearTimeout(call.timer);
      call.reject(new Error(`${label} exited (${signal ?? code}) during ${call.cmd}`));
    }
    pending.clear();
  });

  const worker = {
    label,
    pid: child.pid,
    /** Runs the worker's `cmd` handler; rejects after `timeoutMs`. */
    call(cmd, args = {}, timeoutMs = 120_000) {
      if (exited) return Promise.reject(new Error(`${label} has exited`));
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${label} ${cmd}: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer, cmd });
        child.send({ id, cmd, args });
      });
    },
    onEvent(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** Asks the worker to exit, and kills it if it has not within 5 s. */
    async stop() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.send({ id: 0, cmd: 'exit', args: {} });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
  await worker.call('ping', {}, 30_000);
  return worker;
}

/** Starts `count` workers of one kind. */
export function startWorkers(name, count, opts = {}) {
  return Promise.all(Array.from({ length: count }, (_, i) => startWorker(name, { ...opts, label: `${name}#${i + 1}` })));
}

export async function stopWorkers(workers) {
  await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
}
