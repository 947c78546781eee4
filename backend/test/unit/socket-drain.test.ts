import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RateLimiter } from '../../src/lib/rate-limit.js';
import type { Metrics } from '../../src/lib/metrics.js';
import { createSocketEvents } from '../../src/realtime/socket-events.js';
import type { SocketServer } from '../../src/realtime/socket-server.js';

/** The parts of a Socket.IO server socket that the event binder uses (unit tests only). */
function fakeSocket() {
  const socket = new EventEmitter() as EventEmitter & { data: unknown };
  socket.data = { identity: { userId: 'u1', sessionId: 's1' }, expiresAt: Date.now() + 60_000 };
  return socket;
}
const metrics = { socketEvents: { inc: () => undefined } } as unknown as Metrics;
const unlimited = { consume: async () => undefined } as unknown as RateLimiter;

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Binds `event` to `handler` the way the entry points do, on a server whose one socket then connects. */
function connected(events: ReturnType<typeof createSocketEvents>, handler: () => Promise<unknown>) {
  const io = new EventEmitter();
  const socket = fakeSocket();
  events.handle(io as unknown as SocketServer, 'todo:delete', handler as () => Promise<never>);
  io.emit('connection', socket);
  return socket;
}

/** Emits `event` as a client would and resolves with what the ack got. */
const send = (socket: EventEmitter, event: string) =>
  new Promise<unknown>((resolve) => {
    socket.emit(event, {}, resolve);
  });

describe('socket events at shutdown', () => {
  it('when a write is running as shutdown begins, then the drain waits for it and it is acknowledged; later events are refused UNAVAILABLE', async () => {
    const events = createSocketEvents({ metrics, limiter: unlimited });
    const release = deferred<{ id: string }>();
    const socket = connected(events, () => release.promise);

    const ack = send(socket, 'todo:delete');
    let drained = false;
    const drain = events.drain(5_000).then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(drained).toBe(false);

    expect(await send(socket, 'todo:delete')).toEqual({ error: expect.objectContaining({ code: 'UNAVAILABLE' }) });
    expect(drained).toBe(false);

    release.resolve({ id: 't1' });
    await drain;
    expect(await ack).toEqual({ data: { id: 't1' } });
  });

  describe('on a fake clock', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('when a write outlasts the grace period, then the drain gives up on it at the deadline, not before', async () => {
      const events = createSocketEvents({ metrics, limiter: unlimited });
      const socket = connected(events, () => new Promise(() => undefined));
      void send(socket, 'todo:delete');
      let drained = false;
      const drain = events.drain(100).then(() => (drained = true));
      await vi.advanceTimersByTimeAsync(99);
      expect(drained).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await drain;
      expect(drained).toBe(true);
    });

    it('when nothing is running, then the drain returns without waiting on any timer', async () => {
      let drained = false;
      const drain = createSocketEvents({ metrics, limiter: unlimited })
        .drain(5_000)
        .then(() => (drained = true));
      await drain;
      expect(drained).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
