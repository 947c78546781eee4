// The commands every receiving worker answers alike, whatever its transport: a connection
// record is { user, device, instance, connected, drops, receipts }, and `close(conn)` ends one.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { emit } from './serve.mjs';

export function receiverCommands({ conns, log, close, snapshot = (c) => c }) {
  let watchTimer = null;
  // This process's own event-loop delay over a run: a receipt is timed when the loop gets to it,
  // so a busy or collecting receiver adds its delay to the latencies it records.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  // The wall clock against the monotonic one: a step of the machine's clock (set by hand, or by the
  // host when a VM is restored from a snapshot) moves it. Socket.IO's client checks its ping deadline
  // against the wall clock on each emit, so a step forward closes sockets that are alive.
  const wallAhead = () => Date.now() - performance.now();
  let wallAheadAtBegin = wallAhead();

  function counts() {
    const byInstance = {};
    let connected = 0;
    for (const c of conns.map(snapshot)) {
      if (!c.connected) continue;
      connected++;
      byInstance[c.instance] = (byInstance[c.instance] ?? 0) + 1;
    }
    return { total: conns.length, connected, byInstance };
  }

  return {
    counts,

    /** Starts a run: receipts of other runs are ignored from now on. */
    begin({ run }) {
      log.begin(run);
      for (const c of conns) c.receipts.clear();
      loopDelay.disable();
      loopDelay.reset();
      loopDelay.enable();
      wallAheadAtBegin = wallAhead();
      return counts();
    },

    /** How many times connections dropped, by the instance each first connected to. */
    drops() {
      const byOrigin = {};
      for (const c of conns.map(snapshot)) if (c.drops) byOrigin[c.origin ?? c.instance] = (byOrigin[c.origin ?? c.instance] ?? 0) + c.drops;
      return byOrigin;
    },

    /** Receipts so far (cheap: the parent polls it while deliveries drain). */
    tally() {
      let receipts = 0;
      for (const c of conns) for (const n of c.receipts.values()) receipts += n;
      return { receipts };
    },

    report() {
      loopDelay.disable();
      const ms = (ns) => Number((ns / 1e6).toFixed(1));
      return {
        ...log.report(conns.map(snapshot)),
        loopDelayMs: { p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
        wallClockStepMs: Math.round(wallAhead() - wallAheadAtBegin),
      };
    },

    /** Sends `counts` events every `intervalMs` until unwatch. */
    watch({ intervalMs = 100 }) {
      clearInterval(watchTimer);
      watchTimer = setInterval(() => emit('counts', counts()), intervalMs);
      return counts();
    },

    unwatch() {
      clearInterval(watchTimer);
      watchTimer = null;
      return counts();
    },

    closeAll() {
      clearInterval(watchTimer);
      const n = conns.length;
      for (const c of conns.splice(0)) close(c);
      return { closed: n };
    },

    exit() {
      for (const c of conns) close(c);
    },
  };
}
