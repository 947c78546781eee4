import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../src/index.js';
import { FakeCobaltServer, serverView, settle, startDevice, titles, view } from './support.js';

const writes = (server: FakeCobaltServer) =>
  server.requests.filter((r) => r.event.startsWith('todo:')).map((r) => ({ event: r.event, key: (r.payload as { clientMutationId?: string }).clientMutationId }));

describe('the outbox', () => {
  it('when changes are made offline, then they show at once as pending and go out in order once the server is back', async () => {
    const server = new FakeCobaltServer();
    const { client } = await startDevice(server);
    server.setReachable(false);
    await settle();

    const milk = await client.todos.create('  Buy milk ');
    await client.todos.toggle(milk.id);
    await client.todos.rename(milk.id, 'Buy oat milk');
    const dog = await client.todos.create('Walk the dog');

    expect(view(client)).toEqual([
      { title: 'Buy oat milk', completed: true, pending: true },
      { title: 'Walk the dog', completed: false, pending: true },
    ]);
    expect(client.pendingCount).toBe(4);
    expect(server.requests.filter((r) => r.event.startsWith('todo:'))).toEqual([]);

    server.setReachable(true);
    await settle();

    expect(serverView(server)).toEqual([
      { title: 'Buy oat milk', completed: true },
      { title: 'Walk the dog', completed: false },
    ]);
    // The id the client gave the todo offline is the one the server made.
    expect(server.list().map((t) => t.id)).toEqual([milk.id, dog.id]);
    expect(view(client)).toEqual([
      { title: 'Buy oat milk', completed: true, pending: false },
      { title: 'Walk the dog', completed: false, pending: false },
    ]);
    expect(client.pendingCount).toBe(0);
    // Each change applied exactly once.
    expect(server.log).toHaveLength(4);
  });

  it('when the answer to a todo’s first change is lost, then its next change waits, and the first is sent again with the same id', async () => {
    const server = new FakeCobaltServer();
    const { client } = await startDevice(server);
    let lose = true;
    server.filterAcks((event) => !(event === 'todo:create' && lose));
    server.filterEvents((event) => !(event.name === 'todo:created' && lose)); // nothing confirms it

    const todo = await client.todos.create('Call mum');
    await client.todos.toggle(todo.id);
    const other = await client.todos.create('Other todo');
    await settle();

    // The toggle waits for the create's answer; another todo's create does not wait.
    expect(writes(server).map((w) => w.event)).toEqual(['todo:create', 'todo:create']);
    const firstKey = writes(server)[0]!.key;
    // Another device renames it meanwhile, so the next sync reports that change, not ours.
    server.write('todo:update', { id: todo.id, title: 'Call mum today' });

    lose = false;
    server.setReachable(false);
    server.setReachable(true);
    await settle();

    const creates = writes(server).filter((w) => w.event === 'todo:create');
    expect(creates.filter((w) => w.key === firstKey)).toHaveLength(2);
    expect(writes(server).at(-1)!.event).toBe('todo:update');
    expect(server.list().map((t) => [t.id, t.title, t.completed])).toEqual([
      [todo.id, 'Call mum today', true],
      [other.id, 'Other todo', false],
    ]);
    expect(server.log).toHaveLength(4); // create, create, the other device's rename, the toggle: the retried create once
    expect(client.pendingCount).toBe(0);
    expect(view(client)).toEqual([
      { title: 'Call mum today', completed: true, pending: false },
      { title: 'Other todo', completed: false, pending: false },
    ]);
  });

  it('when the server answers UNAVAILABLE, then the change is sent again with the same id until it is applied', async () => {
    const server = new FakeCobaltServer();
    const { client, settled } = await startDevice(server, { options: { outbox: { retryBaseMs: 1, retryMaxMs: 2 } } });
    let refusals = 2;
    server.refuseRequests((event) => (event === 'todo:create' && refusals-- > 0 ? { code: 'UNAVAILABLE', message: 'The store is slow, retry shortly' } : null));
    const retries: number[] = [];
    client.on('retrying', ({ attempt }) => retries.push(attempt));

    await client.todos.create('Eventually');
    await settle(20);

    const keys = writes(server).map((w) => w.key);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(retries).toEqual([1, 2]);
    expect(server.log).toHaveLength(1);
    expect(settled).toMatchObject([{ type: 'confirmed' }]);
  });

  it('when the client restarts while offline, then its pending changes are still there and go out once after reconnecting', async () => {
    const server = new FakeCobaltServer();
    const storage = memoryStorage();
    const first = await startDevice(server, { storage });
    const kept = await first.client.todos.create('Kept before going offline');
    await settle();
    server.setReachable(false);
    await settle();
    const offline = await first.client.todos.create('Written offline');
    await first.client.todos.toggle(kept.id);
    await first.client.stop();

    const second = await startDevice(server, { storage });
    expect(view(second.client)).toEqual([
      { title: 'Kept before going offline', completed: true, pending: true },
      { title: 'Written offline', completed: false, pending: true },
    ]);
    expect(second.client.pendingCount).toBe(2);
    expect(second.client.todos.state.get().ready).toBe(true);

    server.setReachable(true);
    await settle();
    expect(server.list().map((t) => [t.id, t.title, t.completed])).toEqual([
      [kept.id, 'Kept before going offline', true],
      [offline.id, 'Written offline', false],
    ]);
    expect(server.log).toHaveLength(3);
    expect(second.client.pendingCount).toBe(0);
  });

  it('when a process restarts after its change reached the server but before the answer, then the change is sent again with its id and applied once', async () => {
    const server = new FakeCobaltServer();
    const storage = memoryStorage();
    const first = await startDevice(server, { storage });
    server.filterAcks(() => false);
    server.filterEvents(() => false);
    const todo = await first.client.todos.create('Sent, answer lost');
    await settle();
    expect(server.log).toHaveLength(1);
    await first.client.stop();
    server.write('todo:update', { id: todo.id, completed: true }); // another device, meanwhile

    server.filterAcks(null);
    server.filterEvents(null);
    const second = await startDevice(server, { storage });
    await settle();

    const creates = writes(server);
    expect(creates).toHaveLength(2);
    expect(creates[1]!.key).toBe(creates[0]!.key);
    expect(server.log).toHaveLength(2);
    expect(view(second.client)).toEqual([{ title: 'Sent, answer lost', completed: true, pending: false }]);
  });

  it('when the same title is added twice quickly, then each is confirmed by its own id and both stay', async () => {
    const server = new FakeCobaltServer();
    const { client, settled } = await startDevice(server);
    const [a, b] = await Promise.all([client.todos.create('Same title'), client.todos.create('Same title')]);
    await settle();

    expect(a.id).not.toBe(b.id);
    expect(client.todos.list().map((t) => [t.id, t.title, t.pending])).toEqual([
      [a.id, 'Same title', false],
      [b.id, 'Same title', false],
    ]);
    expect(settled.map((s) => s.type)).toEqual(['confirmed', 'confirmed']);
  });

  it('when the ack is lost but the change event arrives, then the change is confirmed by the id the event carries', async () => {
    const server = new FakeCobaltServer();
    const { client, settled } = await startDevice(server);
    server.filterAcks(() => false);
    const todo = await client.todos.create('Confirmed by its event');
    await settle();

    expect(client.pendingCount).toBe(0);
    expect(settled).toMatchObject([{ type: 'confirmed', via: 'event', mutation: { todoId: todo.id } }]);
    expect(client.todos.get(todo.id)).toMatchObject({ title: 'Confirmed by its event', pending: false, version: 1 });
  });

  it('when a todo was confirmed through the sync answer after a reconnect, then it is not sent again', async () => {
    const server = new FakeCobaltServer();
    const { client, settled } = await startDevice(server);
    server.filterAcks(() => false);
    server.filterEvents(() => false);
    await client.todos.create('Confirmed by sync');
    await settle();
    server.filterAcks(null);
    server.filterEvents(null);
    server.setReachable(false);
    server.setReachable(true);
    await settle();

    expect(writes(server)).toHaveLength(1);
    expect(settled).toMatchObject([{ type: 'confirmed', via: 'sync' }]);
    expect(client.pendingCount).toBe(0);
  });

  it('when a title breaks the rules, then nothing is kept or sent and the error says why', async () => {
    const server = new FakeCobaltServer();
    const { client } = await startDevice(server);
    await expect(client.todos.create('   ')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', fieldProblems: [{ path: 'title', message: 'Title must not be empty' }] });
    await expect(client.todos.create('x'.repeat(501))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(client.todos.toggle('aaaaaaaaaaaaaaaaaaaaaaaa')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(client.pendingCount).toBe(0);
    expect(titles(client)).toEqual([]);
  });

  it('when storage refuses the write, then the change is not made and the error is STORAGE', async () => {
    const server = new FakeCobaltServer();
    const storage = memoryStorage();
    const { client } = await startDevice(server, { storage });
    storage.set = () => Promise.reject(new Error('disk full'));
    await expect(client.todos.create('Not kept')).rejects.toMatchObject({ code: 'STORAGE' });
    expect(titles(client)).toEqual([]);
    await settle();
    expect(server.log).toHaveLength(0);
  });

  it('when two tabs share one storage, then only one of them sends, each change once, and both show it', async () => {
    const server = new FakeCobaltServer();
    const storage = memoryStorage();
    const { localCoordinator } = await import('../src/index.js');
    const coordinator = localCoordinator();
    const tabA = await startDevice(server, { storage, coordinator });
    const tabB = await startDevice(server, { storage, coordinator });
    server.setReachable(false);
    await settle();

    await tabB.client.todos.create('From tab B');
    await tabA.client.todos.create('From tab A');
    await settle();
    expect(titles(tabA.client)).toEqual(['From tab B', 'From tab A']);
    expect(tabA.client.pendingCount).toBe(2);
    expect(tabB.client.pendingCount).toBe(2);

    server.setReachable(true);
    await settle(10);
    expect(writes(server).map((w) => w.event)).toEqual(['todo:create', 'todo:create']);
    expect(serverView(server).map((t) => t.title)).toEqual(['From tab B', 'From tab A']);
    for (const tab of [tabA, tabB]) {
      expect(tab.client.pendingCount).toBe(0);
      expect(view(tab.client)).toEqual([
        { title: 'From tab B', completed: false, pending: false },
        { title: 'From tab A', completed: false, pending: false },
      ]);
    }
    expect(await storage.list('outbox:')).toEqual([]);
  });
});
