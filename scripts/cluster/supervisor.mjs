// Process supervision: each service spawned in its own process group with its log and pid file,
// waited for until ready, restartable the way it first started, and stopped in order.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, signalProcess } from '../lib/processes.mjs';
import { clearState, writeState } from './state.mjs';

// Stop order and manner. Postgres: SIGINT is its "fast" shutdown (SIGTERM would wait for every
// client to leave), SIGQUIT its immediate one. The rest stop cleanly on SIGTERM.
export const STOP = {
  caddy: { signal: 'SIGTERM', timeoutMs: 10_000 },
  prometheus: { signal: 'SIGTERM', timeoutMs: 10_000 },
  backend: { signal: 'SIGTERM', timeoutMs: 15_000 },
  postgres: { signal: 'SIGINT', timeoutMs: 15_000, escalate: 'SIGQUIT' },
  redis: { signal: 'SIGTERM', timeoutMs: 10_000 },
  mongo: { signal: 'SIGTERM', timeoutMs: 10_000 },
  initdb: { signal: 'SIGTERM', timeoutMs: 10_000 },
  'mongo-store': { signal: 'SIGINT', timeoutMs: 15_000, escalate: 'SIGQUIT' },
};
// Caddy and the backends stop together: the backends close their sockets while draining, which
// ends Caddy's grace period early instead of making it wait for long-lived WebSockets. The
// stores go last, once no backend can still use them.
// FerretDB's own PostgreSQL (mongo-store) goes after FerretDB.
export const STOP_WAVES = [['caddy', 'prometheus', 'backend'], ['postgres', 'redis', 'mongo', 'initdb'], ['mongo-store']];
export const kindOf = (name) => (name.startsWith('backend-') ? 'backend' : name.endsWith('initdb') ? 'initdb' : name);

export function tail(file, lines = 25) {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Stop one process: its stop signal (or `firstSignal`), then the escalation signal, then SIGKILL
 * to its whole process group, each after `timeoutMs`. `exited()` reports whether it is gone.
 */
export async function stopProcess(pid, kind, exited = () => !isAlive(pid), firstSignal = STOP[kind].signal) {
  const { timeoutMs, escalate } = STOP[kind];
  const waitGone = async (ms) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (exited()) return true;
      await sleep(100);
    }
    return exited();
  };
  if (exited()) return 'gone';
  signalProcess(pid, firstSignal);
  if (await waitGone(timeoutMs)) return 'stopped';
  if (escalate) {
    signalProcess(pid, escalate);
    if (await waitGone(5_000)) return `stopped after ${escalate}`;
  }
  signalProcess(pid, 'SIGKILL', true);
  signalProcess(pid, 'SIGKILL');
  await waitGone(5_000);
  return 'killed';
}

export class Supervisor {
  constructor({ dataDir, log, owner }) {
    this.dataDir = dataDir;
    this.log = log;
    this.owner = owner;
    this.services = new Map(); // name -> { name, kind, pid, child, logFile, exit: null | { code, signal } }
    this.launchers = new Map(); // name -> async () => svc: spawns the service and waits until it is ready
    this.failure = null; // set when a service dies while the cluster is starting
    this.starting = true;
    this.stopping = null;
    this.onExit = null;
    this.state = { pid: process.pid, owner, startedAt: new Date().toISOString(), dataDir, services: {} };
    this.exitHook = () => this.killAllNow();
    process.on('exit', this.exitHook);
  }

  /** `oneShot`: a tool expected to exit (its exit is not a failure). */
  /** @param {string} name @param {string} cmd @param {string[]} args @param {{ env?: NodeJS.ProcessEnv, cwd?: string, uid?: number, gid?: number, oneShot?: boolean }} [opts] */
  spawn(name, cmd, args, { env = process.env, cwd = this.dataDir, uid, gid, oneShot = false } = {}) {
    if (this.stopping) throw new Error(`not starting ${name}: the cluster is stopping`);
    const logFile = join(this.dataDir, 'logs', `${name}.log`);
    const fd = openSync(logFile, 'a');
    writeSync(fd, `\n=== ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
    let child;
    try {
      // Own process group: a terminal Ctrl-C reaches only this script, which stops things in order.
      child = spawn(cmd, args, { cwd, env, stdio: ['ignore', fd, fd], detached: true, ...(uid !== undefined ? { uid, gid } : {}) });
    } finally {
      closeSync(fd);
    }
    const exit = /** @type {{ code: number | null, signal: string | null, error?: string } | null} */ (null);
    const svc = { name, kind: kindOf(name), pid: child.pid, child, logFile, exit, oneShot };
    this.services.set(name, svc);
    child.on('error', (err) => {
      svc.exit ??= { code: null, signal: null, error: err.message };
      this.noteFailure(svc);
    });
    child.on('exit', (code, sig) => {
      svc.exit = { code, signal: sig };
      this.noteFailure(svc);
    });
    if (child.pid) {
      writeFileSync(join(this.dataDir, 'pids', `${name}.pid`), `${child.pid}\n`);
      this.state.services[name] = { pid: child.pid, kind: svc.kind, exe: cmd };
      this.saveState();
    }
    return svc;
  }

  /** Runs a one-shot tool (e.g. initdb) to its end and forgets it; resolves with its exit code. */
  async runOnce(name, cmd, args, options) {
    const tool = this.spawn(name, cmd, args, { ...options, oneShot: true });
    const [code] = await new Promise((r) => tool.child.once('exit', (...a) => r(a)));
    this.services.delete(name);
    delete this.state.services[name];
    rmSync(join(this.dataDir, 'pids', `${name}.pid`), { force: true });
    return { code, logFile: tool.logFile };
  }

  noteFailure(svc) {
    // `deliberate`: stopped through kill(); not a failure.
    if (this.stopping || svc.oneShot || svc.deliberate) return;
    const how = svc.exit.error ?? (svc.exit.signal ? `signal ${svc.exit.signal}` : `code ${svc.exit.code}`);
    const err = new Error(`${svc.name} exited during start (${how}). Last lines of ${svc.logFile}:\n${tail(svc.logFile)}`);
    if (this.starting) this.failure ??= err;
    else this.onExit?.(svc, how);
  }

  saveState() {
    writeState(this.dataDir, this.state);
  }

  /** Poll `check` until it returns true; fail early if any service died or `signal` aborted. */
  /** @param {string} what @param {() => Promise<boolean> | boolean} check @param {{ timeoutMs?: number, svc?: { name: string, exit: object | null, oneShot?: boolean, logFile: string }, abort?: AbortSignal }} [opts] */
  async waitFor(what, check, { timeoutMs = 30_000, svc, abort } = {}) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      if (svc?.exit && !svc.oneShot) throw new Error(`${svc.name} exited while starting. Last lines of ${svc.logFile}:\n${tail(svc.logFile)}`);
      if (abort?.aborted) throw new Error('start aborted');
      if (await check()) return;
      if (Date.now() > until) {
        const logs = svc ? `\nLast lines of ${svc.logFile}:\n${tail(svc.logFile)}` : '';
        throw new Error(`${what} not ready after ${timeoutMs / 1000}s${logs}`);
      }
      await sleep(200);
    }
  }

  /** Registers how `name` is started (spawn, then wait until ready) and starts it. */
  define(name, launch) {
    this.launchers.set(name, launch);
    return launch();
  }

  /**
   * Stops one service with `sig` (default: its kind's stop signal), escalating as stop() does if
   * it overruns its stop timeout. Its exit is not reported as a failure.
   */
  async kill(name, sig) {
    const svc = this.services.get(name);
    if (!svc) throw new Error(`no service named ${name}`);
    const signal = sig ?? STOP[svc.kind].signal;
    if (svc.exit !== null) return { name, pid: svc.pid, signal, result: 'gone', exitedInMs: 0, exit: svc.exit };
    svc.deliberate = true;
    const started = Date.now();
    const result = await stopProcess(svc.pid, svc.kind, () => svc.exit !== null, signal);
    this.log(`stop      ${name} (pid ${svc.pid}, ${signal}): ${result} in ${Date.now() - started} ms`);
    return { name, pid: svc.pid, signal, result, exitedInMs: Date.now() - started, exit: svc.exit };
  }

  /** Starts a service stopped by kill() again, the way the cluster first started it, and waits until it is ready. */
  async relaunch(name) {
    const launch = this.launchers.get(name);
    if (!launch) throw new Error(`no service named ${name}`);
    if (this.stopping) throw new Error(`not starting ${name}: the cluster is stopping`);
    const current = this.services.get(name);
    if (current && current.exit === null) throw new Error(`${name} is still running (pid ${current.pid})`);
    const started = Date.now();
    const svc = await launch();
    this.log(`start     ${name} (pid ${svc.pid}): ready in ${Date.now() - started} ms`);
    return { name, pid: svc.pid, readyInMs: Date.now() - started };
  }

  stop() {
    this.stopping ??= (async () => {
      for (const wave of STOP_WAVES) {
        const targets = [...this.services.values()].filter((s) => wave.includes(s.kind) && s.pid);
        await Promise.all(
          targets.map(async (s) => {
            const result = await stopProcess(s.pid, s.kind, () => s.exit !== null);
            if (result === 'killed' || result.startsWith('stopped after')) this.log(`stop      ${s.name}: ${result}`);
          }),
        );
      }
      clearState(this.dataDir, this.services.keys());
      process.off('exit', this.exitHook);
    })();
    return this.stopping;
  }

  /** Last resort when this process exits without stop(): send every child its stop signal. */
  killAllNow() {
    for (const s of this.services.values()) if (s.exit === null && s.pid) signalProcess(s.pid, STOP[s.kind].signal);
  }
}
