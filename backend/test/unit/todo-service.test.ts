import { Types } from 'mongoose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TodoChange } from '@cobalt/contract';
import { createTodoService, keyedTodoId } from '../../src/components/todos/domain/todo-service.js';
import type { ChangeEntryDocument, TodoDocument } from '../../src/components/todos/data-access/todo-model.js';
import type { TodoRepository } from '../../src/components/todos/data-access/todo-repository.js';
import type { RealtimeNotifier } from '../../src/realtime/notifier.js';

/** In-memory stand-in for the MongoDB repository (unit tests only; integration tests use the real one). */
function fakeRepository() {
  const docs: TodoDocument[] = [];
  const log: ChangeEntryDocument[] = [];
  const alive = (userId: string, id: string) => docs.find((d) => d.userId === userId && d._id.toHexString() === id && !d.deletedAt) ?? null;
  const entriesOf = (userId: string) => log.filter((e) => e.userId === userId);
  const repo: TodoRepository = {
    async appendChange(userId, todoId, kind, mutationId) {
      const seq = (entriesOf(userId).at(-1)?.seq ?? 0) + 1;
      log.push({ _id: new Types.ObjectId(), userId, seq, todoId, kind, at: new Date(), ...(mutationId ? { mutationId } : {}) });
      return seq;
    },
    async prune(userId, newestSeq) {
      for (let i = log.length - 1; i >= 0; i--) if (log[i]!.userId === userId && log[i]!.seq <= newestSeq - 2) log.splice(i, 1);
    },
    async logWindow(userId) {
      const mine = entriesOf(userId);
      return { first: mine[0]?.seq ?? 0, last: mine.at(-1)?.seq ?? 0 };
    },
    changesAfter: async (userId, since, limit) => entriesOf(userId).filter((e) => e.seq > since).slice(0, limit),
    async insert(userId, title, id) {
      if (id && docs.some((d) => d._id.toHexString() === id)) return null;
      const now = new Date();
      const doc: TodoDocument = { _id: new Types.ObjectId(id), userId, title, completed: false, version: 1, deletedAt: null, createdAt: now, updatedAt: now };
      docs.push(doc);
      return { ...doc };
    },
    findOwned: async (userId, id) => docs.find((d) => d.userId === userId && d._id.toHexString() === id) ?? null,
    hasChange: async (userId, todoId, kind) => log.some((e) => e.userId === userId && e.todoId === todoId && e.kind === kind),
    hasMutation: async (userId, mutationId) => log.some((e) => e.userId === userId && e.mutationId === mutationId),
    findAlive: async (userId, id) => alive(userId, id),
    findManyIncludingDeleted: async (userId, ids) => docs.filter((d) => d.userId === userId && ids.includes(d._id.toHexString())),
    async list(userId, q) {
      const all = docs.filter((d) => d.userId === userId && !d.deletedAt && (q.completed === undefined || d.completed === q.completed));
      return { docs: all.slice(0, q.limit), hasMore: all.length > q.limit };
    },
    listAllAlive: async (userId) => docs.filter((d) => d.userId === userId && !d.deletedAt),
    async update(userId, id, patch) {
      const doc = alive(userId, id);
      if (!doc) return null;
      Object.assign(doc, patch, { version: doc.version + 1, updatedAt: new Date() });
      return { ...doc };
    },
    async markDeleted(userId, id) {
      const doc = alive(userId, id);
      if (!doc) return null;
      Object.assign(doc, { deletedAt: new Date(), version: doc.version + 1 });
      return { ...doc };
    },
    ensureIndexes: async () => undefined,
  };
  return { repo, log, logOf: entriesOf };
}

function recordingNotifier() {
  const announced: { userId: string; change: TodoChange }[] = [];
  const notifier: RealtimeNotifier = {
    todoChanged: (userId, change) => announced.push({ userId, change }),
    sessionCreated: () => undefined,
    sessionRevoked: () => undefined,
  };
  return { notifier, announced };
}

const alice = { userId: 'alice', sessionId: 's-a' };
const bob = { userId: 'bob', sessionId: 's-b' };

describe('todo use cases', () => {
  let fake: ReturnType<typeof fakeRepository>;
  let recorder: ReturnType<typeof recordingNotifier>;
  let service: ReturnType<typeof createTodoService>;

  beforeEach(() => {
    fake = fakeRepository();
    recorder = recordingNotifier();
    service = createTodoService({ todos: fake.repo, idempotency: { run: (_scope, write) => write({ resumed: false }) }, writeLock: (_key, fn) => fn(), notifier: recorder.notifier, maxSyncChanges: 4 });
  });

  it('when a todo is created, then it is announced once to its owner with a growing seq', async () => {
    const first = await service.create(alice, { title: 'one' });
    await service.create(alice, { title: 'two' });
    expect(recorder.announced.map((a) => [a.userId, a.change.type, a.change.seq])).toEqual([
      ['alice', 'todo:created', 1],
      ['alice', 'todo:created', 2],
    ]);
    expect(first).toMatchObject({ title: 'one', completed: false, version: 1 });
  });

  it('when input is invalid, then nothing is stored or announced and no seq is used', async () => {
    await expect(service.create(alice, { title: '' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(service.update(alice, { id: 'bad', title: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(recorder.announced).toHaveLength(0);
    expect(fake.logOf('alice')).toEqual([]);
  });

  it("when another user's todo is updated or deleted, then it answers NOT_FOUND and changes nothing", async () => {
    const todo = await service.create(alice, { title: 'mine' });
    await expect(service.update(bob, { id: todo.id, completed: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.remove(bob, { id: todo.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.get(bob, todo.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await service.get(alice, todo.id)).toMatchObject({ completed: false, version: 1 });
    expect(recorder.announced).toHaveLength(1);
    expect(fake.logOf('bob')).toEqual([]);
  });

  it('when a keyed create is re-run after its todo was written but not logged, then it completes that todo once', async () => {
    const key = 'retry-key-0001';
    await fake.repo.insert('alice', 'half done', keyedTodoId('alice', key)); // the first attempt died here
    const first = await service.create(alice, { title: 'half done', clientMutationId: key });
    const again = await service.create(alice, { title: 'half done', clientMutationId: key });
    expect(first.id).toBe(keyedTodoId('alice', key));
    expect(again).toEqual(first);
    expect(fake.logOf('alice').map((e) => [e.todoId, e.kind])).toEqual([[first.id, 'created']]);
    expect(recorder.announced).toHaveLength(1);
    expect((await service.list(alice, {})).items).toHaveLength(1);
  });

  describe('a keyed write resumed after its first attempt died with its instance', () => {
    // The idempotency store says `resumed` when it hands a dead attempt's key to a retry.
    const resuming = () => createTodoService({ todos: fake.repo, idempotency: { run: (_scope, write) => write({ resumed: true }) }, writeLock: (_key, fn) => fn(), notifier: recorder.notifier, maxSyncChanges: 4 });

    it('when the update had reached the change log, then it is not applied again and answers the current state', async () => {
      const todo = await service.create(alice, { title: 'a' });
      await service.update(alice, { id: todo.id, completed: true, clientMutationId: 'upd-key-0001' });
      const replayed = await resuming().update(alice, { id: todo.id, completed: true, clientMutationId: 'upd-key-0001' });
      expect(replayed).toMatchObject({ id: todo.id, completed: true, version: 2 });
      expect(fake.logOf('alice').map((e) => e.kind)).toEqual(['created', 'updated']);
      expect(recorder.announced).toHaveLength(2);
    });

    it('when the update had not been logged, then it is applied and logged once', async () => {
      const todo = await service.create(alice, { title: 'a' });
      const resumed = await resuming().update(alice, { id: todo.id, title: 'b', clientMutationId: 'upd-key-0002' });
      expect(resumed).toMatchObject({ title: 'b', version: 2 });
      expect(fake.logOf('alice').map((e) => [e.kind, e.mutationId])).toEqual([
        ['created', undefined],
        ['updated', 'upd-key-0002'],
      ]);
    });

    it('when the delete had reached the change log, then the retry succeeds instead of answering NOT_FOUND', async () => {
      const todo = await service.create(alice, { title: 'a' });
      await service.remove(alice, { id: todo.id, clientMutationId: 'del-key-0001' });
      expect(await resuming().remove(alice, { id: todo.id, clientMutationId: 'del-key-0001' })).toEqual({ id: todo.id });
      expect(fake.logOf('alice').map((e) => e.kind)).toEqual(['created', 'deleted']);
      expect(recorder.announced.map((a) => a.change.type)).toEqual(['todo:created', 'todo:deleted']);
      // A different key is a different delete: the todo is gone.
      await expect(resuming().remove(alice, { id: todo.id, clientMutationId: 'del-key-0002' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  it("when a keyed create's id belongs to another user, then it is refused", async () => {
    const key = 'shared-key-0001';
    await fake.repo.insert('bob', 'bob', keyedTodoId('alice', key)); // cannot happen by hashing; guards the branch
    await expect(service.create(alice, { title: 'x', clientMutationId: key })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('when a client syncs, then it gets each changed todo once at its latest seq, deletions included', async () => {
    const a = await service.create(alice, { title: 'a' });
    const b = await service.create(alice, { title: 'b' });
    const seen = 2;
    await service.update(alice, { id: a.id, completed: true });
    await service.update(alice, { id: a.id, title: 'a2' });
    await service.remove(alice, { id: b.id });
    const c = await service.create(alice, { title: 'c' });

    const result = await service.sync(alice, { since: seen });
    expect(result).toEqual({
      seq: 6,
      changes: [
        { type: 'todo:updated', todo: expect.objectContaining({ id: a.id, title: 'a2', completed: true, version: 3 }), seq: 4 },
        { type: 'todo:deleted', id: b.id, seq: 5 },
        { type: 'todo:created', todo: expect.objectContaining({ id: c.id, title: 'c' }), seq: 6 },
      ],
    });
  });

  it('when the client is up to date, then sync returns no changes', async () => {
    await service.create(alice, { title: 'a' });
    expect(await service.sync(alice, { since: 1 })).toEqual({ seq: 1, changes: [] });
  });

  it('when since is ahead of the server or too far behind, then sync answers with a reset', async () => {
    for (const title of ['1', '2', '3', '4', '5']) await service.create(alice, { title });
    const tooFar = await service.sync(alice, { since: 0 });
    expect(tooFar).toMatchObject({ seq: 5, reset: true });
    expect(tooFar.reset && tooFar.todos.map((t) => t.title)).toEqual(['1', '2', '3', '4', '5']);
    expect(await service.sync(alice, { since: 1 })).toMatchObject({ seq: 5, changes: expect.any(Array) });
    expect(await service.sync(alice, { since: 99 })).toMatchObject({ reset: true, seq: 5 });
  });

  it('when history before since was pruned, then sync answers with a reset', async () => {
    for (const title of ['x', 'y', 'z']) await service.create(alice, { title });
    await fake.repo.prune('alice', 3); // keeps seq 2 and 3
    expect(await service.sync(alice, { since: 0 })).toMatchObject({ reset: true, seq: 3 });
    expect(await service.sync(alice, { since: 1 })).toMatchObject({ seq: 3, changes: [expect.anything(), expect.anything()] });
    expect(await service.sync(alice, { since: 3 })).toEqual({ seq: 3, changes: [] });
  });

  it('when a new user syncs from zero, then there is nothing to replay', async () => {
    expect(await service.sync(bob, { since: 0 })).toEqual({ seq: 0, changes: [] });
    expect(await service.sync(bob, { since: 5 })).toEqual({ seq: 0, reset: true, todos: [] });
  });
});
