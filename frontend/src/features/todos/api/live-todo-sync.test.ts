import { SYNC_GAP_GRACE_MS, SYNC_HINT_JITTER_MS, type Todo } from '@cobalt/contract';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveSocket } from '../../../lib/live-connection';
import { FakeTodoGateway } from '../../../testing/fake-todo-gateway';
import { TodoStore } from '../stores/todo-store';
import { bindLiveTodoSync } from './live-todo-sync';

/** The part of a Socket.IO client the binding uses: events in, `sync` requests out (answered empty). */
class FakeSocket {
  connected = true;
  readonly syncs: number[] = [];
  private readonly handlers = new Map<string, Set<(payload?: unknown) => void>>();
  on(event: string, handler: (payload?: unknown) => void) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(handler);
    return this;
  }
  off(event: string, handler: (payload?: unknown) => void) {
    this.handlers.get(event)?.delete(handler);
    return this;
  }
  fire(event: string, payload?: unknown) {
    for (const handler of this.handlers.get(event) ?? []) handler(payload);
  }
  timeout() {
    return {
      emitWithAck: async (_event: string, payload: { since: number }) => {
        this.syncs.push(payload.since);
        return { data: { seq: payload.since, changes: [] } };
      },
    };
  }
}

describe('live todo sync', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('when the server says sync is required, then one sync follows after the random pause, however many hints came', async () => {
    const socket = new FakeSocket();
    const unbind = bindLiveTodoSync(new TodoStore(new FakeTodoGateway(), () => undefined), socket as unknown as LiveSocket, 1000, () => 0.5);
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.syncs).toHaveLength(1); // the sync of the connection itself

    socket.fire('sync:required', { reason: 'fanout_resumed' });
    socket.fire('sync:required', { reason: 'fanout_resumed' });
    await vi.advanceTimersByTimeAsync(SYNC_HINT_JITTER_MS * 0.5 - 1);
    expect(socket.syncs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.syncs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(SYNC_HINT_JITTER_MS * 2);
    expect(socket.syncs).toHaveLength(2);

    unbind();
    socket.fire('sync:required', { reason: 'fanout_resumed' });
    await vi.advanceTimersByTimeAsync(SYNC_HINT_JITTER_MS * 2);
    expect(socket.syncs).toHaveLength(2);
  });

  it('when the socket disconnects before the pause is over, then the hinted sync is dropped (the reconnect syncs anyway)', async () => {
    const socket = new FakeSocket();
    bindLiveTodoSync(new TodoStore(new FakeTodoGateway(), () => undefined), socket as unknown as LiveSocket, 1000, () => 0.9);
    await vi.advanceTimersByTimeAsync(0);
    socket.fire('sync:required', { reason: 'fanout_resumed' });
    socket.connected = false;
    socket.fire('disconnect');
    await vi.advanceTimersByTimeAsync(SYNC_HINT_JITTER_MS * 2);
    expect(socket.syncs).toHaveLength(1);
  });

  const todo = (n: number): Todo => ({ id: `t${n}`, title: `todo ${n}`, completed: false, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', version: 1 });

  it('when a seq is skipped and does not arrive within the grace period, then one sync asks for it', async () => {
    const socket = new FakeSocket();
    const unbind = bindLiveTodoSync(new TodoStore(new FakeTodoGateway(), () => undefined), socket as unknown as LiveSocket, 1000);
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.syncs).toEqual([0]);
    socket.fire('todo:created', { todo: todo(1), seq: 1 });
    socket.fire('todo:created', { todo: todo(3), seq: 3 }); // 2 skipped
    socket.fire('todo:created', { todo: todo(4), seq: 4 });
    await vi.advanceTimersByTimeAsync(SYNC_GAP_GRACE_MS - 1);
    expect(socket.syncs).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.syncs).toEqual([0, 1]);
    unbind();
  });

  it('when a skipped seq arrives late, within the grace period, then no sync is sent', async () => {
    const socket = new FakeSocket();
    const unbind = bindLiveTodoSync(new TodoStore(new FakeTodoGateway(), () => undefined), socket as unknown as LiveSocket, 1000);
    await vi.advanceTimersByTimeAsync(0);
    socket.fire('todo:created', { todo: todo(2), seq: 2 });
    await vi.advanceTimersByTimeAsync(SYNC_GAP_GRACE_MS / 2);
    socket.fire('todo:created', { todo: todo(1), seq: 1 });
    socket.fire('todo:created', { todo: todo(1), seq: 1 }); // announced again: dropped
    await vi.advanceTimersByTimeAsync(SYNC_GAP_GRACE_MS * 2);
    expect(socket.syncs).toEqual([0]);
    unbind();
  });
});
