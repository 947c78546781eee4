import type { TodoChange } from '@cobalt/contract';
import { AppError, notFound } from '../../../lib/app-error.js';
import type { KeyedLock } from '../../../infra/redis/user-lock.js';
import { hourOf, type ChangeKind, type LogEntry, type TodoDocument } from '../data-access/todo-model.js';
import { todoOf, toTodo, type Head, type TodoStore } from '../data-access/todo-store.js';

/** What a write asks for, before it has a seq. */
export type Intent =
  { kind: 'created'; todoId: string; title: string } | { kind: 'updated'; todoId: string; title?: string; completed?: boolean } | { kind: 'deleted'; todoId: string };

export interface WriteRequest {
  userId: string;
  intent: Intent;
  /** The clientMutationId; a retry with it is answered from its log entry. */
  key?: string;
  /** Of the operation and its input, for telling a retry from another request with the same key. */
  fingerprint?: string;
}

/** The write's todo as it stands after it (for a retry: after the first attempt, or later changes). */
export type Outcome = TodoDocument;

export interface TodoLogDependencies {
  store: Pick<TodoStore, 'appendEntry' | 'entryAt' | 'entryByKey' | 'dropEntry' | 'insertTodo' | 'applyChange' | 'findTodo' | 'recoverHead'>;
  lock: KeyedLock;
  /** Told each change once it is applied (and again when a later writer finds it, see `settle`). */
  announce: (userId: string, change: TodoChange) => void;
  /** False while the store is known to be unreachable: writes are then refused at once. */
  storeAvailable?: () => boolean;
}

export const storeUnavailable = () => new AppError('UNAVAILABLE', 'A backing service is unavailable, retry shortly', { retryAfterSeconds: 1 });

/** A holder takes at most this many queued writes of its user, and only while this much time is left on its lease. */
const MAX_WRITES_PER_HOLD = 32;
const LEASE_MARGIN_MS = 1000;
/** Entries a writer may find ahead of a stale head before it reads the head from the store. */
const MAX_STALE_STEPS = 8;
const MAX_STEPS = 32;

const encodeHead = (head: Head) => `${head.seq}:${head.pos}`;
function decodeHead(value: string | null): Head | null {
  const match = value ? /^(\d+):(\d+)$/.exec(value) : null;
  return match ? { seq: Number(match[1]), pos: Number(match[2]) } : null;
}

/**
 * The change clients hear of: what became of a todo, at which seq, and which of their writes made
 * it (none for a write without a clientMutationId).
 */
export function todoChange(kind: ChangeKind, todo: TodoDocument, seq: number, clientMutationId?: string): TodoChange {
  const base = { seq, ...(clientMutationId ? { clientMutationId } : {}) };
  if (kind === 'deleted') return { type: 'todo:deleted', id: todo._id.toHexString(), ...base };
  return { type: kind === 'created' ? 'todo:created' : 'todo:updated', todo: toTodo(todo), ...base };
}

/** A log entry's change; its key is the write's clientMutationId unless it is a `~<seq>` stand-in. */
const changeFor = (entry: LogEntry, todo: TodoDocument): TodoChange => todoChange(entry.kind, todo, entry.seq, entry.key.startsWith('~') ? undefined : entry.key);

/**
 * A user's change log: the rules every write follows, in one place.
 *
 * Each user's writes take a cluster-wide lock, so they are applied one at a time and in seq order.
 * Under it a write stores its log entry (which claims the next seq and the write's key, both unique
 * per user) and then its change to the todo, made only if the todo has nothing at that seq or later:
 * a create's entry and new todo go in one command, an update or delete is two. The lock carries the
 * user's head (last seq, next position), so no read is needed to number a write.
 *
 * Whatever fails between the two, nothing is lost or applied twice: an entry is written before its
 * change, and a later writer whose seq turns out to be taken (the head it was given is behind)
 * completes the entry it finds there before it goes on; a retry whose key is taken completes that
 * write's entry and answers its todo. So an entry in the log is applied exactly once, and every
 * applied entry is announced, at least once by the server and once as a client sees it (clients drop
 * a seq they have). An entry whose change cannot be made (its todo is gone) is dropped and its write
 * answered NOT_FOUND.
 */
export function createTodoLog({ store, lock, announce, storeAvailable = () => true }: TodoLogDependencies) {
  interface Pending {
    request: WriteRequest;
    resolve: (outcome: Outcome) => void;
    reject: (error: unknown) => void;
  }
  // Writes of one user waiting on this instance: one holder takes them in turn under one lock.
  const queues = new Map<string, Pending[]>();

  function entryFor(request: WriteRequest, head: Head, at: Date): LogEntry {
    const seq = head.seq + 1;
    const { intent } = request;
    const entry: LogEntry = {
      _id: `${request.userId}:${seq}`,
      userId: request.userId,
      seq,
      todoId: intent.todoId,
      kind: intent.kind,
      key: request.key ?? `~${seq}`,
      at,
      hour: hourOf(at),
    };
    if (request.fingerprint) entry.fingerprint = request.fingerprint;
    if (intent.kind === 'created') Object.assign(entry, { title: intent.title, pos: head.pos });
    if (intent.kind === 'updated') {
      if (intent.title !== undefined) entry.title = intent.title;
      if (intent.completed !== undefined) entry.completed = intent.completed;
    }
    return entry;
  }

  const after = (head: Head, entry: LogEntry): Head => ({
    seq: Math.max(head.seq, entry.seq),
    pos: entry.kind === 'created' && entry.pos !== undefined ? Math.max(head.pos, entry.pos + 1) : head.pos,
  });

  /**
   * Makes sure an entry's change is in its todo, and answers the todo (null: the change cannot be
   * made, its todo is gone). Safe to run any number of times: a change already made is found, not
   * made again.
   */
  async function settle(entry: LogEntry): Promise<TodoDocument | null> {
    if (entry.kind === 'created') {
      const inserted = await store.insertTodo(todoOf(entry));
      if (inserted) return inserted;
      const existing = await store.findTodo(entry.userId, entry.todoId);
      return existing?.createdSeq === entry.seq ? existing : null;
    }
    const changed = await store.applyChange(entry);
    if (changed) return changed;
    const current = await store.findTodo(entry.userId, entry.todoId);
    return current && current.seq >= entry.seq ? current : null;
  }

  /** Why an entry could not be applied: its todo is gone, or (a create) it was made long ago under the same key. */
  async function refusal(entry: LogEntry): Promise<{ todo: TodoDocument } | AppError> {
    await store.dropEntry(entry);
    const existing = entry.kind === 'created' ? await store.findTodo(entry.userId, entry.todoId) : null;
    return existing ? { todo: existing } : notFound('Todo');
  }

  /** One write under the lock: answers its todo and the head after it. Its announcements go to `later`. */
  async function commit(request: WriteRequest, start: Head, holding: { hasTime(margin?: number): boolean }, later: (() => void)[]): Promise<{ todo: TodoDocument; head: Head }> {
    const settled = (entry: LogEntry, todo: TodoDocument): TodoDocument => {
      later.push(() => announce(entry.userId, changeFor(entry, todo)));
      return todo;
    };
    let head = start;
    for (let step = 0; step < MAX_STEPS; step++) {
      if (!holding.hasTime(LEASE_MARGIN_MS)) break;
      if (step === MAX_STALE_STEPS) head = await store.recoverHead(request.userId);
      const entry = entryFor(request, head, new Date());
      // A create stores its entry and its todo in one command; other writes store the entry, then change the todo.
      const created = entry.kind === 'created' ? todoOf(entry) : undefined;
      const appended = await store.appendEntry(entry, created);
      if (appended !== 'taken') {
        const todo = appended === 'stored' ? (created ?? (await settle(entry))) : null;
        if (todo) return { todo: settled(entry, todo), head: after(head, entry) };
        const refused = await refusal(entry);
        if (refused instanceof AppError) throw refused;
        return { todo: refused.todo, head }; // a keyed create older than the log: its todo, as it is
      }
      // The seq or the key is taken. A taken seq: the head was behind (a holder died before it could
      // leave its head, or Redis lost it); complete that entry and try the next seq.
      const atSeq = await store.entryAt(request.userId, entry.seq);
      if (atSeq) {
        const todo = await settle(atSeq);
        if (todo) {
          settled(atSeq, todo);
          head = after(head, atSeq);
        } else await store.dropEntry(atSeq);
        continue;
      }
      // A taken key: this write was made before (a retry). Complete it if need be and answer its todo.
      const earlier = request.key ? await store.entryByKey(request.userId, request.key) : null;
      if (!earlier) continue; // purged in between: go again
      if (earlier.fingerprint !== request.fingerprint) throw new AppError('CONFLICT', 'This idempotency key was already used for a different request');
      const todo = await settle(earlier);
      if (todo) return { todo: settled(earlier, todo), head };
      const refused = await refusal(earlier);
      if (refused instanceof AppError) throw refused;
      return { todo: refused.todo, head };
    }
    throw new AppError('UNAVAILABLE', 'The store is slow, retry shortly', { retryAfterSeconds: 1 });
  }

  /** Takes the user's lock and commits the queued writes of that user, as many as one lease allows. */
  async function drain(userId: string, queue: Pending[]): Promise<void> {
    try {
      while (queue.length) {
        // Answers and announcements wait until the lock has left the head that covers them: a
        // client that reads right after its write was answered (on any instance) reads at a head
        // that includes it, and so does a device that syncs on hearing of the change.
        const later: (() => void)[] = [];
        try {
          await lock.hold(userId, async (holding) => {
            let head = decodeHead(holding.head) ?? (await store.recoverHead(userId));
            for (let n = 0; queue.length && n < MAX_WRITES_PER_HOLD && holding.hasTime(LEASE_MARGIN_MS); n++) {
              const pending = queue.shift()!;
              try {
                const done = await commit(pending.request, head, holding, later);
                head = done.head;
                later.push(() => pending.resolve(done.todo));
              } catch (error) {
                // The head stays where it was: if a store failure came after the entry was written,
                // the next writer finds the entry at that seq and completes it.
                later.push(() => pending.reject(error));
                // The store is failing: the writes waiting behind this one would each wait out the
                // same failure in turn. They are answered with it now (clients retry with their key).
                if (!(error instanceof AppError)) for (const waiting of queue.splice(0)) later.push(() => waiting.reject(error));
              }
            }
            return { value: undefined, head: encodeHead(head) };
          });
        } finally {
          for (const run of later.splice(0)) run();
        }
        // More of this user's writes are waiting here: let a waiting instance have a turn first
        // (waiters poll every few milliseconds), so a busy instance cannot starve the others.
        if (queue.length) await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 10));
      }
    } catch (error) {
      for (const pending of queue.splice(0)) pending.reject(error);
    } finally {
      queues.delete(userId);
    }
  }

  return {
    /** Applies a write once, in seq order with the user's other writes, and answers its todo. */
    write(request: WriteRequest): Promise<Outcome> {
      if (!storeAvailable()) return Promise.reject(storeUnavailable());
      return new Promise((resolve, reject) => {
        const waiting = queues.get(request.userId);
        const pending = { request, resolve, reject };
        if (waiting) {
          waiting.push(pending);
          return;
        }
        const queue = [pending];
        queues.set(request.userId, queue);
        void drain(request.userId, queue);
      });
    },
    /**
     * The user's head for readers: as the lock last left it. When no holder left one (Redis lost
     * it), it is recovered from the store under the lock, so the next readers find it there; while
     * Redis is unreachable, from the store each time. `settled`: no write of the user is under way
     * and the head is the lock's, so what the store holds now is exactly the state at that head
     * (what a reader may cache under it).
     */
    async head(userId: string): Promise<{ head: Head; settled: boolean }> {
      const peeked = await lock.peek(userId).catch(() => null);
      // Without Redis the store is the only source that other instances' writes reach.
      if (peeked === null) return { head: await store.recoverHead(userId), settled: false };
      const known = decodeHead(peeked.head);
      if (known) return { head: known, settled: !peeked.held };
      const head = await lock.hold(userId, async (holding) => {
        const recovered = decodeHead(holding.head) ?? (await store.recoverHead(userId));
        return { value: recovered, head: encodeHead(recovered) };
      });
      return { head, settled: false };
    },
  };
}

export type TodoLog = ReturnType<typeof createTodoLog>;
export type { ChangeKind };
