import { SYNC_GAP_GRACE_MS, SYNC_HINT_JITTER_MS } from '@cobalt/contract';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStorage, type ServerEvent, type SyncEvents } from '../src/index.js';
import { FakeCobaltServer, settle, startDevice, titles } from './support.js';

const syncRequests = (server: FakeCobaltServer) => server.requests.filter((r) => r.event === 'sync').map((r) => (r.payload as { since: number }).since);

afterEach(() => {
  vi.useRealTimers();
});

describe('keeping the replica in sync', () => {
  it('when a live event repeats a seq already applied, then it is dropped and reported as a repeat', async () => {
    const server = new FakeCobaltServer();
    const { client } = await startDevice(server);
    const events: SyncEvents['live-event'][] = [];
    client.on('live-event', (event) => events.push(event));
    server.write('todo:create', { title: 'Once', clientMutationId: 'other-device-1' });
    server.write('todo:create', { title: 'Once', clientMutationId: 'other-device-1' }); // a retry: announced again, same seq
    await settle();

    expect(events.map((e) => [e.event.seq, e.fresh])).toEqual([
      [1, true],
      [1, false],
    ]);
    expect(titles(client)).toEqual(['Once']);
  });

  it('when a seq stays skipped for the grace period, then the client syncs, and not before', async () => {
    vi.useFakeTimers();
    const server = new FakeCobaltServer();
    const device = startDevice(server);
    await vi.advanceTimersByTimeAsync(5);
    const { client } = await device;
    server.filterEvents((event) => !(event.name === 'todo:created' && event.payload.seq === 1));
    server.write('todo:create', { title: 'Lost on the way' });
    server.filterEvents(null);
    server.write('todo:create', { title: 'Arrived' });
    await vi.advanceTimersByTimeAsync(0);
    expect(titles(client)).toEqual(['Arrived']);
    expect(syncRequests(server)).toEqual([0]);

    await vi.advanceTimersByTimeAsync(SYNC_GAP_GRACE_MS - 10);
    expect(syncRequests(server)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(20);
    expect(syncRequests(server)).toEqual([0, 0]);
    expect(titles(client)).toEqual(['Lost on the way', 'Arrived']);
    await client.stop();
  });

  it('when a skipped seq arrives within the grace period, then it was only out of order and no sync is sent', async () => {
    vi.useFakeTimers();
    const server = new FakeCobaltServer();
    const device = startDevice(server);
    await vi.advanceTimersByTimeAsync(5);
    const { client } = await device;
    const held: ServerEvent[] = [];
    server.filterEvents((event) => {
      if (event.name !== 'todo:created' || event.payload.seq !== 1) return true;
      held.push(event);
      return false;
    });
    server.write('todo:create', { title: 'First' });
    server.write('todo:create', { title: 'Second' });
    await vi.advanceTimersByTimeAsync(SYNC_GAP_GRACE_MS / 2);
    expect(titles(client)).toEqual(['Second']);
    // The overtaken event arrives late, as events from another instance can.
    server.connections[0]!.deliver(held[0]!);
    await vi.advanceTimersByTimeAsync(SYNC_GAP_GRACE_MS * 2);
    expect(titles(client)).toEqual(['First', 'Second']);
    expect(syncRequests(server)).toEqual([0]);
    await client.stop();
  });

  it('when the server says sync:required, then the client syncs once after a random pause, folding further hints into it', async () => {
    vi.useFakeTimers();
    const server = new FakeCobaltServer();
    const device = startDevice(server, { options: { random: () => 0.25 } });
    await vi.advanceTimersByTimeAsync(5);
    const { client } = await device;
    const transport = server.connections[0]!;
    transport.deliver({ name: 'sync:required', payload: { reason: 'fanout_resumed' } });
    transport.deliver({ name: 'sync:required', payload: { reason: 'fanout_resumed' } });
    await vi.advanceTimersByTimeAsync(SYNC_HINT_JITTER_MS * 0.25 - 10);
    expect(syncRequests(server)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(20);
    expect(syncRequests(server)).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(SYNC_HINT_JITTER_MS * 2);
    expect(syncRequests(server)).toEqual([0, 0]);
    await client.stop();
  });

  it('when the client restarts, then it shows the kept list at once and asks only for what came after it', async () => {
    const server = new FakeCobaltServer();
    const storage = memoryStorage();
    const first = await startDevice(server, { storage });
    server.write('todo:create', { title: 'One' });
    server.write('todo:create', { title: 'Two' });
    await settle();
    await first.client.stop();
    server.setReachable(false);

    const second = await startDevice(server, { storage });
    expect(titles(second.client)).toEqual(['One', 'Two']);
    expect(second.client.todos.state.get()).toMatchObject({ ready: true, synced: false });
    server.write('todo:create', { title: 'Three' });
    server.setReachable(true);
    await settle();
    expect(syncRequests(server).at(-1)).toBe(2);
    expect(titles(second.client)).toEqual(['One', 'Two', 'Three']);
    expect(second.client.todos.state.get().synced).toBe(true);
  });

  it('when the server answers with a reset, then the kept state is replaced and pending changes still show over it', async () => {
    const server = new FakeCobaltServer();
    const storage = memoryStorage();
    await server.signIn(storage);
    // State kept from another server history: ahead of this server's log.
    await storage.set(`replica:${server.userId}`, {
      lastSeq: 50,
      todos: [{ id: 'a'.repeat(24), title: 'From another history', completed: false, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z', version: 3 }],
    });
    server.write('todo:create', { title: 'Real' });
    server.setReachable(false);
    const { client } = await startDevice(server, { storage });
    expect(titles(client)).toEqual(['From another history']);
    await client.todos.create('Pending');
    const resets: boolean[] = [];
    client.on('synced', ({ reset }) => resets.push(reset));
    server.setReachable(true);
    await settle();

    expect(resets[0]).toBe(true);
    expect(titles(client)).toEqual(['Real', 'Pending']);
    expect(syncRequests(server)[0]).toBe(50);
    expect(client.pendingCount).toBe(0);
    expect(server.list().map((t) => t.title)).toEqual(['Real', 'Pending']);
  });
});
