import type { Holding, KeyedLock } from '../../src/infra/redis/user-lock.js';
import type { LogEntry, TodoDocument, TombstoneMarker } from '../../src/components/todos/data-access/todo-model.js';
import { changeOf, type Head, type TodoStore } from '../../src/components/todos/data-access/todo-store.js';

/** Applies the subset of MongoDB update operators the store uses ($set, $unset, $inc). */
function applyUpdate(doc: TodoDocument, update: ReturnType<typeof changeOf>): void {
  Object.assign(doc, update.$set);
  for (const field of Object.keys(update.$unset ?? {})) delete (doc as unknown as Record<string, unknown>)[field];
  doc.version += update.$inc.version;
}

// Shallow: documents hold primitives, Dates and ObjectIds, none of which the code under test mutates.
function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => ({ ...v })) as T;
  return value && typeof value === 'object' ? { ...value } : value;
}

/**
 * In-memory stand-in for the MongoDB todo store (unit tests only; integration tests use the real
 * one). Same contract: unique entry ids and keys, conditional changes, bucketed reads. `failNext`
 * makes the next call of a method throw, as a dropped connection would.
 */
export function fakeTodoStore() {
  const todos = new Map<string, TodoDocument>();
  const markers: TombstoneMarker[] = [];
  const log = new Map<string, LogEntry>();
  const failures = new Map<string, Error>();
  const calls: string[] = [];
  const track = (name: string) => {
    calls.push(name);
    const failure = failures.get(name);
    if (failure) {
      failures.delete(name);
      throw failure;
    }
  };
  const mine = (userId: string) => [...todos.values()].filter((t) => t.userId === userId);

  const store: Pick<
    TodoStore,
    'appendEntry' | 'entryAt' | 'entryByKey' | 'dropEntry' | 'insertTodo' | 'applyChange' | 'findTodo' | 'findAlive' | 'pageBucket' | 'allAlive' | 'syncBucket' | 'recoverHead'
  > = {
    async appendEntry(entry, todo) {
      track('appendEntry');
      if (log.has(entry._id) || [...log.values()].some((e) => e.userId === entry.userId && e.key === entry.key)) return 'taken';
      log.set(entry._id, copy(entry));
      if (!todo) return 'stored';
      track('insertTodo');
      const id = todo._id.toHexString();
      if (todos.has(id)) return 'todo-exists';
      todos.set(id, copy(todo));
      return 'stored';
    },
    entryAt: async (userId, seq) => copy(log.get(`${userId}:${seq}`) ?? null),
    entryByKey: async (userId, key) => copy([...log.values()].find((e) => e.userId === userId && e.key === key) ?? null),
    async dropEntry(entry) {
      log.delete(entry._id);
    },
    async insertTodo(doc) {
      track('insertTodo');
      const id = doc._id.toHexString();
      if (todos.has(id)) return null;
      todos.set(id, copy(doc));
      return copy(doc);
    },
    async applyChange(entry) {
      track('applyChange');
      const doc = todos.get(entry.todoId);
      if (!doc || doc.userId !== entry.userId || !doc.alive || doc.seq >= entry.seq) return null;
      applyUpdate(doc, changeOf(entry));
      return copy(doc);
    },
    findTodo: async (userId, id) => copy([...todos.values()].find((t) => t.userId === userId && t._id.toHexString() === id) ?? null),
    findAlive: async (userId, id) => copy(mine(userId).find((t) => t._id.toHexString() === id && t.alive) ?? null),
    pageBucket: async (userId, pb, completed) => {
      track('pageBucket');
      return copy(
        mine(userId)
          .filter((t) => t.pb === pb && t.alive && (completed === undefined || t.completed === completed))
          .sort((a, b) => a.pos - b.pos),
      );
    },
    allAlive: async (userId, completed) =>
      copy(
        mine(userId)
          .filter((t) => t.alive && (completed === undefined || t.completed === completed))
          .sort((a, b) => a.pos - b.pos),
      ),
    async syncBucket(userId, sb) {
      track('syncBucket');
      const expiredUpTo = Math.max(0, ...markers.filter((m) => m.userId === userId && m.sb === sb).map((m) => m.expiredUpTo));
      return { todos: copy(mine(userId).filter((t) => t.sb === sb)), expiredUpTo };
    },
    async recoverHead(userId) {
      track('recoverHead');
      const head: Head = { seq: 0, pos: 0 };
      for (const e of log.values()) if (e.userId === userId) head.seq = Math.max(head.seq, e.seq);
      for (const t of mine(userId)) Object.assign(head, { seq: Math.max(head.seq, t.seq), pos: Math.max(head.pos, t.pos + 1) });
      for (const m of markers) if (m.userId === userId) head.seq = Math.max(head.seq, m.expiredUpTo);
      return head;
    },
  };

  return {
    store,
    todos,
    log,
    markers,
    calls,
    failNext: (method: string, error = Object.assign(new Error('connection closed'), { name: 'MongoNetworkError' })) => failures.set(method, error),
    entriesOf: (userId: string) => [...log.values()].filter((e) => e.userId === userId).sort((a, b) => a.seq - b.seq),
    /** Removes a tombstone the way the retention purge does: its bucket keeps a marker. */
    expireTombstone(id: string) {
      const doc = todos.get(id)!;
      markers.push({ _id: `~${doc.userId}:${doc.sb}`, userId: doc.userId, sb: doc.sb, marker: true, expiredUpTo: doc.seq });
      todos.delete(id);
    },
  };
}

/** In-memory stand-in for the cluster-wide user lock: one holder per key, heads kept between holders. */
export function fakeUserLock({ releaseDelayMs = 0 } = {}) {
  const heads = new Map<string, string>();
  const tails = new Map<string, Promise<unknown>>();
  /** Keys another holder is said to hold right now (what `peek` reports). */
  const held = new Set<string>();
  const lock: KeyedLock = {
    hold<T>(key: string, critical: (holding: Holding) => Promise<{ value: T; head: string | null }>): Promise<T> {
      const run = async () => {
        const outcome = await critical({ head: heads.get(key) ?? null, hasTime: () => true });
        // Leaving the head is a round trip to Redis: it lands a little after the critical section.
        if (releaseDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, releaseDelayMs));
        if (outcome.head !== null) heads.set(key, outcome.head);
        return outcome.value;
      };
      const next = (tails.get(key) ?? Promise.resolve()).then(run, run);
      tails.set(
        key,
        next.catch(() => undefined),
      );
      return next;
    },
    peek: async (key) => ({ head: heads.get(key) ?? null, held: held.has(key) }),
  };
  return { lock, heads, held, forget: (key: string) => heads.delete(key) };
}
