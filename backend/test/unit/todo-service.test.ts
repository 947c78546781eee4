import { beforeEach, describe, expect, it } from 'vitest';
import type { TodoChange } from '@cobalt/contract';
import { hourOf, type LogEntry } from '../../src/components/todos/data-access/todo-model.js';
import { createTodoLog } from '../../src/components/todos/domain/todo-log.js';
import { createTodoService, keyedTodoId, type CachedPage, type PageCache } from '../../src/components/todos/domain/todo-service.js';
import { fakeTodoStore, fakeUserLock } from '../support/fake-todo-store.js';

const alice = { userId: 'alice', sessionId: 's-a' };
const bob = { userId: 'bob', sessionId: 's-b' };

function setup(maxSyncChanges = 1000, pages?: PageCache) {
  const fake = fakeTodoStore();
  const locks = fakeUserLock();
  const announced: { userId: string; change: TodoChange }[] = [];
  const log = createTodoLog({ store: fake.store, lock: locks.lock, announce: (userId, change) => announced.push({ userId, change }) });
  const service = createTodoService({ log, store: fake.store, maxSyncChanges, ...(pages ? { pages } : {}) });
  return { fake, locks, announced, service, seqs: () => announced.map((a) => a.change.seq) };
}

/** A log entry as a write leaves it before its change is made (its instance died right after). */
function strandedEntry(userId: string, seq: number, fields: Partial<LogEntry> & Pick<LogEntry, 'todoId' | 'kind'>): LogEntry {
  const at = new Date();
  return { _id: `${userId}:${seq}`, userId, seq, key: `~${seq}`, at, hour: hourOf(at), ...fields };
}

describe('todo writes', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('when todos are created, then each is announced once to its owner with the next seq, and logged before it is stored', async () => {
    const first = await t.service.create(alice, { title: 'one' });
    await t.service.create(alice, { title: 'two', clientMutationId: 'create-key-1' });
    expect(t.announced.map((a) => [a.userId, a.change.type, a.change.seq, a.change.clientMutationId])).toEqual([
      ['alice', 'todo:created', 1, undefined],
      ['alice', 'todo:created', 2, 'create-key-1'],
    ]);
    expect(first).toMatchObject({ title: 'one', completed: false, version: 1 });
    expect(t.fake.calls.filter((c) => c === 'appendEntry' || c === 'insertTodo')).toEqual(['appendEntry', 'insertTodo', 'appendEntry', 'insertTodo']);
  });

  it('when input is invalid, then nothing is stored or announced and no seq is used', async () => {
    await expect(t.service.create(alice, { title: '' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(t.service.update(alice, { id: 'bad', title: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(t.service.create(alice, { title: 'x', clientMutationId: 'no' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(t.announced).toHaveLength(0);
    expect(t.fake.calls).toEqual([]);
  });

  it("when another user's todo is updated or deleted, then it answers NOT_FOUND, changes nothing and leaves no seq behind", async () => {
    const todo = await t.service.create(alice, { title: 'mine' });
    await expect(t.service.update(bob, { id: todo.id, completed: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.service.remove(bob, { id: todo.id, clientMutationId: 'bob-delete-1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.service.get(bob, todo.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await t.service.get(alice, todo.id)).toMatchObject({ completed: false, version: 1 });
    expect(t.announced).toHaveLength(1);
    expect(t.fake.entriesOf('bob')).toEqual([]);
    await t.service.create(bob, { title: 'first of bob' });
    expect(t.fake.entriesOf('bob').map((e) => e.seq)).toEqual([1]);
  });

  it('when many writes of one user arrive at once, then they take seqs 1..n in turn and all are applied', async () => {
    const todo = await t.service.create(alice, { title: 'counter' });
    const writes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? t.service.create(alice, { title: `n${i}` }) : t.service.update(alice, { id: todo.id, title: `edit ${i}` }))),
    );
    expect(writes).toHaveLength(20);
    expect(t.seqs().sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect((await t.service.get(alice, todo.id)).version).toBe(11);
  });

  describe('retries with a clientMutationId', () => {
    it('when a create is retried, then the same todo comes back, nothing is added and the retry carries the same seq', async () => {
      const first = await t.service.create(alice, { title: 'once', clientMutationId: 'retry-key-01' });
      const again = await t.service.create(alice, { title: 'once', clientMutationId: 'retry-key-01' });
      expect(again).toEqual(first);
      expect(first.id).toBe(keyedTodoId('alice', 'retry-key-01'));
      expect((await t.service.list(alice, {})).items).toHaveLength(1);
      expect(new Set(t.seqs())).toEqual(new Set([1]));
    });

    it('when an update is retried after other changes, then it is not applied again and answers the todo as it is now', async () => {
      const todo = await t.service.create(alice, { title: 'a' });
      await t.service.update(alice, { id: todo.id, title: 'b', clientMutationId: 'upd-key-001' });
      await t.service.update(alice, { id: todo.id, completed: true });
      const replay = await t.service.update(alice, { id: todo.id, title: 'b', clientMutationId: 'upd-key-001' });
      expect(replay).toMatchObject({ title: 'b', completed: true, version: 3 });
      expect(t.fake.entriesOf('alice').map((e) => e.kind)).toEqual(['created', 'updated', 'updated']);
    });

    it('when a delete is retried, then it succeeds again instead of answering NOT_FOUND; a new key is a new delete', async () => {
      const todo = await t.service.create(alice, { title: 'a' });
      await t.service.remove(alice, { id: todo.id, clientMutationId: 'del-key-0001' });
      expect(await t.service.remove(alice, { id: todo.id, clientMutationId: 'del-key-0001' })).toEqual({ id: todo.id });
      await expect(t.service.remove(alice, { id: todo.id, clientMutationId: 'del-key-0002' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('when the key comes back with another request, then it is a CONFLICT and nothing changes', async () => {
      const todo = await t.service.create(alice, { title: 'a' });
      await t.service.update(alice, { id: todo.id, title: 'b', clientMutationId: 'same-key-01' });
      await expect(t.service.update(alice, { id: todo.id, title: 'c', clientMutationId: 'same-key-01' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(t.service.create(alice, { title: 'b', clientMutationId: 'same-key-01' })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await t.service.get(alice, todo.id)).title).toBe('b');
    });

    it('when a refused write is retried, then the retry is refused the same way', async () => {
      const missing = '0123456789abcdef01234567';
      await expect(t.service.update(alice, { id: missing, completed: true, clientMutationId: 'missing-key' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(t.service.update(alice, { id: missing, completed: true, clientMutationId: 'missing-key' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(t.fake.entriesOf('alice')).toEqual([]);
    });
  });

  describe('a write whose instance died half-way', () => {
    it('when the entry was logged but the todo not yet changed, then the next write of the user completes it first, once, and announces it', async () => {
      const todo = await t.service.create(alice, { title: 'a' });
      t.fake.log.set('alice:2', strandedEntry('alice', 2, { todoId: todo.id, kind: 'updated', title: 'finished by the next writer' }));
      const next = await t.service.create(alice, { title: 'next' });
      expect((await t.service.get(alice, todo.id)).title).toBe('finished by the next writer');
      expect(t.announced.map((a) => [a.change.type, a.change.seq])).toEqual([
        ['todo:created', 1],
        ['todo:updated', 2],
        ['todo:created', 3],
      ]);
      expect(next.id).not.toBe(todo.id);
    });

    it('when the todo was changed but the lock never got the new head, then the next write finds it done, does not apply it again and takes the next seq', async () => {
      const todo = await t.service.create(alice, { title: 'a' });
      await t.service.update(alice, { id: todo.id, completed: true });
      t.locks.heads.set('alice', '1:1'); // the holder of seq 2 died before it could leave its head
      await t.service.update(alice, { id: todo.id, title: 'b' });
      expect(await t.service.get(alice, todo.id)).toMatchObject({ completed: true, title: 'b', version: 3 });
      expect(t.fake.entriesOf('alice').map((e) => e.seq)).toEqual([1, 2, 3]);
      // seq 2 was announced by its own writer and again by the one that found it: same seq, same state.
      expect(t.seqs()).toEqual([1, 2, 2, 3]);
    });

    it('when a keyed write died after logging, then its retry completes it once and answers it', async () => {
      const todo = await t.service.create(alice, { title: 'a' });
      const fingerprintOf = async () => {
        await t.service.update(alice, { id: todo.id, completed: true, clientMutationId: 'probe-key-1' });
        return t.fake.entriesOf('alice').at(-1)!.fingerprint;
      };
      const fingerprint = await fingerprintOf();
      t.fake.log.set('alice:3', strandedEntry('alice', 3, { todoId: todo.id, kind: 'updated', key: 'stranded-key', completed: true, fingerprint }));
      t.locks.heads.set('alice', '2:1');
      const retried = await t.service.update(alice, { id: todo.id, completed: true, clientMutationId: 'stranded-key' });
      expect(retried).toMatchObject({ completed: true, version: 3 });
      expect(t.fake.entriesOf('alice').map((e) => e.seq)).toEqual([1, 2, 3]);
    });

    it('when the stranded entry cannot be applied (its todo is gone), then it is dropped and its seq given to the next write', async () => {
      await t.service.create(alice, { title: 'a' });
      t.fake.log.set('alice:2', strandedEntry('alice', 2, { todoId: '0123456789abcdef01234567', kind: 'deleted' }));
      await t.service.create(alice, { title: 'b' });
      expect(t.fake.entriesOf('alice').map((e) => [e.seq, e.kind])).toEqual([
        [1, 'created'],
        [2, 'created'],
      ]);
    });

    it('when the store fails after the entry is logged, then the write fails, and the next one completes it without a gap or a repeat', async () => {
      const todo = await t.service.create(alice, { title: 'a' });
      t.fake.failNext('applyChange');
      await expect(t.service.update(alice, { id: todo.id, title: 'lost connection' })).rejects.toMatchObject({ name: 'MongoNetworkError' });
      await t.service.update(alice, { id: todo.id, completed: true });
      expect(await t.service.get(alice, todo.id)).toMatchObject({ title: 'lost connection', completed: true, version: 3 });
      expect(t.fake.entriesOf('alice').map((e) => e.seq)).toEqual([1, 2, 3]);
    });

    it('when Redis lost the head, then it is recovered from the store and numbering goes on', async () => {
      await t.service.create(alice, { title: 'a' });
      await t.service.create(alice, { title: 'b' });
      t.locks.forget('alice');
      await t.service.create(alice, { title: 'c' });
      expect(t.fake.calls).toContain('recoverHead');
      expect(t.seqs()).toEqual([1, 2, 3]);
      expect((await t.service.list(alice, {})).items.map((i) => i.title)).toEqual(['a', 'b', 'c']);
    });
  });
});

describe('todo lists', () => {
  it('when pages are read with cursors, then every live todo comes once, in creation order, and the last page has no cursor', async () => {
    const t = setup();
    const made = [];
    for (let i = 0; i < 75; i++) made.push(await t.service.create(alice, { title: `todo ${i}` }));
    for (const i of [3, 4, 40, 41, 42]) await t.service.remove(alice, { id: made[i]!.id });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { title: string }[]; nextCursor: string | null } = await t.service.list(alice, { limit: 20, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((i) => i.title));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(made.filter((_, i) => ![3, 4, 40, 41, 42].includes(i)).map((m) => m.title));
    expect(pages).toBe(4);
  });

  it('when a filter matches few todos spread over many buckets, then one read of all matching todos serves the page', async () => {
    const t = setup();
    const made = [];
    for (let i = 0; i < 200; i++) made.push(await t.service.create(alice, { title: `todo ${i}` }));
    for (const i of [10, 150, 199]) await t.service.update(alice, { id: made[i]!.id, completed: true });
    const page = await t.service.list(alice, { completed: true });
    expect(page.items.map((i) => i.title)).toEqual(['todo 10', 'todo 150', 'todo 199']);
    expect(page.nextCursor).toBeNull();
  });

  it('when a page is read again with no write in between, then it comes from the cache; after a write, from the store', async () => {
    const t = setup(1000, new Map<string, CachedPage>());
    await t.service.create(alice, { title: 'a' });
    const reads = () => t.fake.calls.filter((c) => c === 'pageBucket').length;
    const first = await t.service.list(alice, { limit: 10 });
    const before = reads();
    expect(await t.service.list(alice, { limit: 10 })).toEqual(first);
    expect(reads()).toBe(before);
    await t.service.create(alice, { title: 'b' });
    expect((await t.service.list(alice, { limit: 10 })).items.map((i) => i.title)).toEqual(['a', 'b']);
    expect(reads()).toBe(before + 1);
    // Another query (limit, filter, cursor) is another page.
    await t.service.list(alice, { limit: 1 });
    expect(reads()).toBe(before + 2);
  });

  it('when a write of the user is under way, then the page read meanwhile is not kept', async () => {
    const t = setup(1000, new Map<string, CachedPage>());
    await t.service.create(alice, { title: 'a' });
    t.locks.held.add('alice');
    await t.service.list(alice, {});
    await t.service.list(alice, {});
    expect(t.fake.calls.filter((c) => c === 'pageBucket')).toHaveLength(2);
  });

  it('when a write is answered, then the head the lock left already covers it: a page read right after has it, and so does a sync on hearing of it', async () => {
    const fake = fakeTodoStore();
    const locks = fakeUserLock({ releaseDelayMs: 5 });
    const headsWhenAnnounced: (string | undefined)[] = [];
    const log = createTodoLog({ store: fake.store, lock: locks.lock, announce: (userId) => headsWhenAnnounced.push(locks.heads.get(userId)) });
    const service = createTodoService({ log, store: fake.store, maxSyncChanges: 1000 });

    const first = await service.create(alice, { title: 'first' });
    expect(locks.heads.get('alice'), 'head left before the answer').toBe('1:1');
    expect((await service.list(alice, {})).items.map((t) => t.id)).toEqual([first.id]);
    const second = await service.create(alice, { title: 'second' });
    expect((await service.list(alice, {})).items.map((t) => t.id)).toEqual([first.id, second.id]);
    expect(await service.sync(alice, { since: 1 })).toMatchObject({ seq: 2, changes: [{ seq: 2, todo: { id: second.id } }] });
    expect(headsWhenAnnounced, 'head left before each announcement').toEqual(['1:1', '2:2']);
  });

  it('when a user has no todos, then the page is empty without reading the store', async () => {
    const t = setup();
    expect(await t.service.list(bob, {})).toEqual({ items: [], nextCursor: null });
  });
});

describe('sync', () => {
  it('when a client syncs, then it gets each changed todo once at its latest seq, with the key of that change, deletions included', async () => {
    const t = setup();
    const a = await t.service.create(alice, { title: 'a' });
    const b = await t.service.create(alice, { title: 'b' });
    await t.service.update(alice, { id: a.id, completed: true });
    await t.service.update(alice, { id: a.id, title: 'a2', clientMutationId: 'rename-a-1' });
    await t.service.remove(alice, { id: b.id });
    const c = await t.service.create(alice, { title: 'c' });
    expect(await t.service.sync(alice, { since: 2 })).toEqual({
      seq: 6,
      changes: [
        { type: 'todo:updated', todo: expect.objectContaining({ id: a.id, title: 'a2', completed: true, version: 3 }), seq: 4, clientMutationId: 'rename-a-1' },
        { type: 'todo:deleted', id: b.id, seq: 5 },
        { type: 'todo:created', todo: expect.objectContaining({ id: c.id, title: 'c' }), seq: 6 },
      ],
    });
  });

  it('when the client is up to date, then sync returns no changes without reading the store', async () => {
    const t = setup();
    await t.service.create(alice, { title: 'a' });
    t.fake.calls.length = 0;
    expect(await t.service.sync(alice, { since: 1 })).toEqual({ seq: 1, changes: [] });
    expect(t.fake.calls).toEqual([]);
    await t.service.create(alice, { title: 'b' });
    t.fake.calls.length = 0;
    expect(await t.service.sync(alice, { since: 1 })).toMatchObject({ seq: 2, changes: [{ type: 'todo:created', seq: 2 }] });
    expect(t.fake.calls).toEqual(['syncBucket']);
  });

  it('when since is ahead of the server or too far behind, then sync answers with a reset', async () => {
    const t = setup(4);
    for (const title of ['1', '2', '3', '4', '5']) await t.service.create(alice, { title });
    const tooFar = await t.service.sync(alice, { since: 0 });
    expect(tooFar).toMatchObject({ seq: 5, reset: true });
    expect(tooFar.reset && tooFar.todos.map((x) => x.title)).toEqual(['1', '2', '3', '4', '5']);
    expect(await t.service.sync(alice, { since: 1 })).toMatchObject({ seq: 5, changes: expect.any(Array) });
    expect(await t.service.sync(alice, { since: 99 })).toMatchObject({ reset: true, seq: 5 });
  });

  it('when changes span many seq buckets, then each bucket is read once and nothing is missed', async () => {
    const t = setup();
    const todo = await t.service.create(alice, { title: 'busy' });
    for (let i = 0; i < 100; i++) await t.service.update(alice, { id: todo.id, title: `v${i}` });
    const other = await t.service.create(alice, { title: 'late' });
    t.fake.calls.length = 0;
    const result = await t.service.sync(alice, { since: 1 });
    expect(result).toEqual({
      seq: 102,
      changes: [
        { type: 'todo:updated', todo: expect.objectContaining({ title: 'v99', version: 101 }), seq: 101 },
        { type: 'todo:created', todo: expect.objectContaining({ id: other.id }), seq: 102 },
      ],
    });
    expect(t.fake.calls.filter((c) => c === 'syncBucket')).toHaveLength(4);
  });

  it("when a deletion's tombstone has expired, then a client from before it gets a reset, and one from after it does not", async () => {
    const t = setup();
    const gone = await t.service.create(alice, { title: 'gone' });
    const kept = await t.service.create(alice, { title: 'kept' });
    await t.service.remove(alice, { id: gone.id });
    await t.service.update(alice, { id: kept.id, completed: true });
    t.fake.expireTombstone(gone.id);
    expect(await t.service.sync(alice, { since: 2 })).toEqual({ seq: 4, reset: true, todos: [expect.objectContaining({ id: kept.id })] });
    expect(await t.service.sync(alice, { since: 3 })).toEqual({ seq: 4, changes: [expect.objectContaining({ type: 'todo:updated', seq: 4 })] });
  });

  it('when a new user syncs, then there is nothing to replay, and a since from elsewhere gets a reset', async () => {
    const t = setup();
    expect(await t.service.sync(bob, { since: 0 })).toEqual({ seq: 0, changes: [] });
    expect(await t.service.sync(bob, { since: 5 })).toEqual({ seq: 0, reset: true, todos: [] });
  });
});
