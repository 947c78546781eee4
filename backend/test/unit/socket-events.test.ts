import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../../src/lib/identity.js';
import type { Metrics } from '../../src/lib/metrics.js';
import type { RateLimiter } from '../../src/lib/rate-limit.js';
import { createSocketEvents } from '../../src/realtime/socket-events.js';
import type { CobaltSocket, SocketServer } from '../../src/realtime/socket-server.js';

/** The parts of Socket.IO's server and sockets the event binder uses (unit tests only). */
function fakeSocket(userId: string) {
  const socket = new EventEmitter() as EventEmitter & { data: unknown; onAny: (fn: unknown) => void };
  socket.data = { identity: { userId, sessionId: `${userId}-s` }, expiresAt: Date.now() + 60_000 };
  socket.onAny = () => undefined;
  return socket;
}
const metrics = { socketEvents: { inc: () => undefined } } as unknown as Metrics;
const unlimited = { consume: async () => undefined } as unknown as RateLimiter;

describe('client events bound for every socket of a server', () => {
  it('when two sockets connect, then they share one listener per event, and each event runs with its own socket and identity', async () => {
    const io = new EventEmitter();
    const events = createSocketEvents({ metrics, limiter: unlimited });
    const seen: { userId: string; socket: unknown; payload: unknown }[] = [];
    events.handle(io as unknown as SocketServer, 'todo:delete', async (identity: Identity, payload, socket) => {
      seen.push({ userId: identity.userId, socket, payload });
      return { id: 't' };
    });
    const [a, b] = [fakeSocket('ada'), fakeSocket('bob')];
    io.emit('connection', a);
    io.emit('connection', b);

    expect(a.listeners('todo:delete')).toHaveLength(1);
    expect(a.listeners('todo:delete')[0]).toBe(b.listeners('todo:delete')[0]);

    const ack = await new Promise((resolve) => b.emit('todo:delete', { id: 'x' }, resolve));
    expect(ack).toEqual({ data: { id: 't' } });
    expect(seen).toEqual([{ userId: 'bob', socket: b, payload: { id: 'x' } }]);
    expect((seen[0]!.socket as CobaltSocket) === (a as unknown as CobaltSocket)).toBe(false);
  });
});
