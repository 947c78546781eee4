import { describe, expect, it } from 'vitest';
import { FakeCobaltServer, serverView, settle, startDevice, view } from './support.js';

/** The conflict rules of docs/API.md ("Conflicts"), each played by two devices of one user. */
describe('conflict rules', () => {
  async function twoDevicesWith(title: string) {
    const server = new FakeCobaltServer();
    const a = await startDevice(server);
    const b = await startDevice(server);
    const todo = await a.client.todos.create(title);
    await settle();
    expect(b.client.todos.get(todo.id)?.title).toBe(title);
    return { server, a, b, id: todo.id };
  }

  it('rule 1 across a restart: when the change was kept from an earlier run, then the report still names the todo by its title', async () => {
    const { server, a, id } = await twoDevicesWith('Water plants');
    server.setReachable(false);
    await settle();
    await a.client.todos.toggle(id);
    await a.client.stop();
    server.write('todo:delete', { id });
    server.setReachable(true);
    const again = await startDevice(server, { storage: a.storage });
    await settle();
    expect(again.settled.at(-1)).toMatchObject({ type: 'conflict', rule: 'deleted-elsewhere', title: 'Water plants', mutation: { kind: 'update', todoId: id } });
    expect(view(again.client)).toEqual([]);
  });

  it('rule 1: when a todo changed offline was deleted on another device, then the change is dropped and reported, and the todo stays deleted everywhere', async () => {
    const { server, a, b, id } = await twoDevicesWith('Pay rent');
    server.setReachable(false);
    await settle();
    await a.client.todos.toggle(id); // A is offline
    expect(view(a.client)).toEqual([{ title: 'Pay rent', completed: true, pending: true }]);

    server.write('todo:delete', { id }); // B's deletion, which A has not heard of
    server.setReachable(true);
    await settle();

    expect(a.settled.at(-1)).toMatchObject({ type: 'conflict', rule: 'deleted-elsewhere', title: 'Pay rent', mutation: { kind: 'update', todoId: id } });
    expect(a.client.pendingCount).toBe(0);
    expect(view(a.client)).toEqual([]);
    expect(view(b.client)).toEqual([]);
    expect(server.list()).toEqual([]);
  });

  it('rule 1, sent before the sync could tell: when the server refuses an update with NOT_FOUND, then it is reported as the same conflict', async () => {
    const { server, a, id } = await twoDevicesWith('Water plants');
    // The deletion's event never reaches A, so A still shows the todo and sends its change.
    server.filterEvents((event, to) => !(event.name === 'todo:deleted' && to !== undefined && a.client.todos.get(id) !== undefined));
    server.write('todo:delete', { id });
    await settle();
    server.filterEvents(null);
    await a.client.todos.rename(id, 'Water the plants');
    await settle();

    expect(a.settled.at(-1)).toMatchObject({ type: 'conflict', rule: 'deleted-elsewhere', error: { code: 'NOT_FOUND' } });
    expect(view(a.client)).toEqual([]);
  });

  it('rule 2: when two devices change different fields of one todo while offline, then both changes are kept', async () => {
    const { server, a, b, id } = await twoDevicesWith('Book flights');
    server.setReachable(false);
    await settle();
    await a.client.todos.rename(id, 'Book flights to Lisbon');
    await b.client.todos.toggle(id);
    server.setReachable(true);
    await settle();

    const expected = [{ title: 'Book flights to Lisbon', completed: true }];
    expect(serverView(server)).toEqual(expected);
    expect(view(a.client)).toEqual([{ ...expected[0], pending: false }]);
    expect(view(b.client)).toEqual([{ ...expected[0], pending: false }]);
  });

  it('rule 3: when two devices change the same field while offline, then the change that reaches the server last wins, on every device', async () => {
    const { server, a, b, id } = await twoDevicesWith('Dinner');
    server.setReachable(false);
    await settle();
    await a.client.todos.rename(id, 'Dinner at 7');
    await b.client.todos.rename(id, 'Dinner at 8');
    await b.client.stop(); // B stays away while A reconnects
    server.setReachable(true);
    await settle();
    expect(serverView(server)).toEqual([{ title: 'Dinner at 7', completed: false }]);

    const bAgain = await startDevice(server, { storage: b.storage });
    await settle();
    expect(serverView(server)).toEqual([{ title: 'Dinner at 8', completed: false }]);
    for (const client of [a.client, bAgain.client]) expect(view(client)).toEqual([{ title: 'Dinner at 8', completed: false, pending: false }]);
    expect(server.todos.get(id)?.version).toBe(3);
  });

  it('rule 3, by arrival and not by the time of the edit: when the device that edited last reconnects first, then the other device’s change wins', async () => {
    const { server, a, b, id } = await twoDevicesWith('Call the bank');
    server.setReachable(false);
    await settle();
    await a.client.todos.rename(id, 'Call the bank (A, earlier)');
    await b.client.todos.rename(id, 'Call the bank (B, later)');
    await a.client.stop();
    server.setReachable(true);
    await settle();

    const aAgain = await startDevice(server, { storage: a.storage });
    await settle();
    expect(serverView(server)).toEqual([{ title: 'Call the bank (A, earlier)', completed: false }]);
    for (const client of [aAgain.client, b.client]) expect(view(client)).toEqual([{ title: 'Call the bank (A, earlier)', completed: false, pending: false }]);
  });

  it('rule 4: when a todo deleted offline was deleted on another device too, then the deletion counts as done, with nothing to report', async () => {
    const { server, a, b, id } = await twoDevicesWith('Old note');
    server.setReachable(false);
    await settle();
    await a.client.todos.remove(id);
    await b.client.todos.remove(id);
    server.setReachable(true);
    await settle();

    expect([...a.settled, ...b.settled].filter((s) => s.mutation.kind === 'delete').map((s) => s.type)).toEqual(['confirmed', 'confirmed']);
    expect(view(a.client)).toEqual([]);
    expect(view(b.client)).toEqual([]);
    expect(server.log.filter((entry) => entry.todoId === id)).toHaveLength(2); // its create and one deletion
  });

  it('rule 5: when a todo created offline is changed and deleted before the device reconnects, then the server sees each change once, in order, and ends without it', async () => {
    const server = new FakeCobaltServer();
    const a = await startDevice(server);
    const b = await startDevice(server);
    server.setReachable(false);
    await settle();
    const todo = await a.client.todos.create('Short-lived');
    await a.client.todos.toggle(todo.id);
    await a.client.todos.remove(todo.id);
    expect(view(a.client)).toEqual([]);
    expect(a.client.pendingCount).toBe(3);
    server.setReachable(true);
    await settle();

    expect(server.requests.filter((r) => r.event.startsWith('todo:')).map((r) => r.event)).toEqual(['todo:create', 'todo:update', 'todo:delete']);
    expect(server.list()).toEqual([]);
    expect(view(a.client)).toEqual([]);
    expect(view(b.client)).toEqual([]);
  });

  it('when a create is refused for good, then it is dropped and reported as rejected, and so are the later changes to its todo', async () => {
    const server = new FakeCobaltServer();
    const a = await startDevice(server);
    server.setReachable(false);
    await settle();
    const todo = await a.client.todos.create('Refused');
    await a.client.todos.toggle(todo.id);
    server.refuseRequests((event) => (event === 'todo:create' ? { code: 'VALIDATION_FAILED', message: 'Request validation failed' } : null));
    server.setReachable(true);
    await settle();

    expect(a.settled.map((s) => [s.type, s.mutation.kind])).toEqual([
      ['rejected', 'create'],
      ['rejected', 'update'],
    ]);
    expect(a.client.pendingCount).toBe(0);
    expect(view(a.client)).toEqual([]);
    expect(server.requests.filter((r) => r.event === 'todo:update')).toEqual([]);
  });
});
