// The worker side of lib/workers.mjs: answers the parent's calls with the given handlers.
import { setTimeout as sleep } from 'node:timers/promises';

export function serve(handlers) {
  if (!process.send) throw new Error('a bench worker must be started by bench/lib/workers.mjs');
  const send = process.send.bind(process);
  const all = { ping: () => ({ pid: process.pid }), ...handlers };
  const answer = async ({ id, cmd, args }) => {
    if (cmd === 'exit') {
      await handlers.exit?.();
      process.exit(0);
    }
    const handler = all[cmd];
    try {
      if (!handler) throw new Error(`unknown command ${cmd}`);
      const result = await handler(args);
      send({ id, result });
    } catch (error) {
      send({ id, error: error instanceof Error ? error.message : String(error) });
    }
  };
  process.on('message', (/** @type {any} */ message) => void answer(message));
  // The parent going away ends the worker: no orphaned load generators.
  process.on('disconnect', () => process.exit(0));
}

export function emit(event, data) {
  process.send?.({ type: 'event', event, data });
}

/** Microseconds on CLOCK_MONOTONIC: one clock for every process on the machine. */
export const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Runs `task(item)` over `items` with at most `limit` at once. */
export async function pool(items, limit, task) {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  });
  await Promise.all(runners);
}

/**
 * Calls `fire(n)` `rate` times per second for `durationMs`, on schedule whatever the answers
 * take (an open loop: a slow server does not slow the offered load down). Resolves with how far
 * behind schedule the generator itself fell, at worst.
 */
export async function openLoop(rate, durationMs, fire) {
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  let sent = 0;
  let worstLagMs = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (sent < due) {
      const lag = performance.now() - (start + (sent * 1000) / rate);
      if (lag > worstLagMs) worstLagMs = lag;
      fire(sent++);
    }
    const nextAt = start + (sent * 1000) / rate;
    await sleep(Math.max(0, nextAt - performance.now()));
  }
  return { sent, worstLagMs };
}
