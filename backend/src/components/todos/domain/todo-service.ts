import type { SyncResult, Todo, TodoChange, TodoPage } from '@cobalt/contract';
import { createHash } from 'node:crypto';
import { AppError, notFound } from '../../../lib/app-error.js';
import { parseInput } from '../../../lib/validation.js';
import type { WriteLock } from '../../../infra/redis/user-write-lock.js';
import type { RealtimeNotifier } from '../../../realtime/notifier.js';
import { audit } from '../../audit/audit.js';
import type { Identity } from '../../auth/domain/tokens.js';
import { toTodo, type TodoRepository } from '../data-access/todo-repository.js';
import { clientMutationIdSchema, encodeCursor, createTodoInput, deleteTodoInput, listTodosInput, syncInput, todoId, updateTodoInput } from '../schemas.js';
import type { Attempt, IdempotencyStore } from '../../idempotency/idempotency-store.js';

/** The todo id a keyed create gets: the same for every attempt with that key. */
export const keyedTodoId = (userId: string, clientMutationId: string): string =>
  createHash('sha256').update(`todo:${userId}:${clientMutationId}`).digest('hex').slice(0, 24);

export interface TodoDependencies {
  /** Applies a write that carries a `clientMutationId` once, and replays its outcome to retries. */
  idempotency: Pick<IdempotencyStore, 'run'>;
  todos: TodoRepository;
  /** Serialises a user's writes where the store cannot (see infra/redis/user-write-lock.ts). */
  writeLock: WriteLock;
  notifier: RealtimeNotifier;
  /** Most log entries `sync` replays; further behind, the client gets a reset with the full state. */
  maxSyncChanges: number;
}

/**
 * The todo use cases. REST routes, GraphQL resolvers and socket handlers all call these, so
 * a todo is validated, authorised (scoped to its owner), stored and announced in one place.
 * Input is `unknown` on purpose: each use case parses it with its own schema.
 */
export function createTodoService({ todos, idempotency, writeLock, notifier, maxSyncChanges }: TodoDependencies) {
  function announce(userId: string, change: TodoChange): void {
    notifier.todoChanged(userId, change);
  }

  async function createTodo(identity: Identity, input: unknown, clientMutationId?: string): Promise<Todo> {
    const { title } = parseInput(createTodoInput, input);
    // A keyed create gets an id derived from its key, so a re-run after a failure half-way
    // (todo written, change not yet logged) finds the first attempt's todo instead of adding one.
    const id = clientMutationId ? keyedTodoId(identity.userId, clientMutationId) : undefined;
    const written = await writeLock(identity.userId, async () => {
      const inserted = await todos.insert(identity.userId, title, id);
      if (inserted) return { todo: toTodo(inserted), seq: await todos.appendChange(identity.userId, inserted._id.toHexString(), 'created', clientMutationId) };
      const existing = await todos.findOwned(identity.userId, id!);
      if (!existing) throw new AppError('CONFLICT', 'This clientMutationId belongs to another request');
      if (await todos.hasChange(identity.userId, id!, 'created')) return { todo: toTodo(existing), seq: null };
      return { todo: toTodo(existing), seq: await todos.appendChange(identity.userId, id!, 'created', clientMutationId) };
    });
    if (written.seq !== null) {
      announce(identity.userId, { type: 'todo:created', todo: written.todo, seq: written.seq });
      audit('todo.created', { todoId: written.todo.id, seq: written.seq });
    }
    return written.todo;
  }

  /**
   * Whether a resumed keyed write (its first attempt died with its instance) was applied in full
   * already: its change entry, the write's last step, carries its key.
   */
  const alreadyApplied = (identity: Identity, clientMutationId: string | undefined, attempt: Attempt | undefined) =>
    clientMutationId !== undefined && attempt?.resumed === true ? todos.hasMutation(identity.userId, clientMutationId) : Promise.resolve(false);

  async function updateTodo(identity: Identity, input: unknown, clientMutationId?: string, attempt?: Attempt): Promise<Todo> {
    const { id, ...patch } = parseInput(updateTodoInput, input);
    const written = await writeLock(identity.userId, async () => {
      if (await alreadyApplied(identity, clientMutationId, attempt)) {
        const doc = await todos.findOwned(identity.userId, id);
        if (!doc) throw notFound('Todo');
        return { todo: toTodo(doc), seq: null };
      }
      // Scoped to the owner: a stranger's id and a missing id are the same NOT_FOUND.
      const doc = await todos.update(identity.userId, id, patch);
      if (!doc) throw notFound('Todo');
      return { todo: toTodo(doc), seq: await todos.appendChange(identity.userId, id, 'updated', clientMutationId) };
    });
    if (written.seq !== null) {
      announce(identity.userId, { type: 'todo:updated', todo: written.todo, seq: written.seq });
      audit('todo.updated', { todoId: id, seq: written.seq, fields: Object.keys(patch) });
    }
    return written.todo;
  }

  async function removeTodo(identity: Identity, input: unknown, clientMutationId?: string, attempt?: Attempt): Promise<{ id: string }> {
    const { id } = parseInput(deleteTodoInput, input);
    const seq = await writeLock(identity.userId, async () => {
      if (await alreadyApplied(identity, clientMutationId, attempt)) return null;
      if (!(await todos.markDeleted(identity.userId, id))) throw notFound('Todo');
      return todos.appendChange(identity.userId, id, 'deleted', clientMutationId);
    });
    if (seq !== null) {
      announce(identity.userId, { type: 'todo:deleted', id, seq });
      audit('todo.deleted', { todoId: id, seq });
    }
    return { id };
  }

  /** A write with a `clientMutationId` goes through the idempotency store; others run as they are. */
  function once<T>(identity: Identity, operation: string, input: unknown, write: (identity: Identity, input: unknown, key?: string, attempt?: Attempt) => Promise<T>): Promise<T> {
    if (input === null || typeof input !== 'object' || Array.isArray(input) || !('clientMutationId' in input)) return write(identity, input);
    const { clientMutationId, ...rest } = input as { clientMutationId: unknown };
    const key = parseInput(clientMutationIdSchema, clientMutationId);
    return idempotency.run({ userId: identity.userId, key, operation, input: rest }, (attempt) => write(identity, rest, key, attempt));
  }

  return {
    create: (identity: Identity, input: unknown): Promise<Todo> => once(identity, 'todo:create', input, createTodo),
    update: (identity: Identity, input: unknown): Promise<Todo> => once(identity, 'todo:update', input, updateTodo),
    remove: (identity: Identity, input: unknown): Promise<{ id: string }> => once(identity, 'todo:delete', input, removeTodo),

    async get(identity: Identity, id: unknown): Promise<Todo> {
      const doc = await todos.findAlive(identity.userId, parseInput(todoId, id));
      if (!doc) throw notFound('Todo');
      return toTodo(doc);
    },

    async list(identity: Identity, input: unknown): Promise<TodoPage> {
      const { cursor, ...query } = parseInput(listTodosInput, input);
      const { docs, hasMore } = await todos.list(identity.userId, { ...query, after: cursor });
      const last = docs.at(-1);
      return { items: docs.map(toTodo), nextCursor: hasMore && last ? encodeCursor(last.createdAt.getTime(), last._id.toHexString()) : null };
    },

    /**
     * What a client that last saw `since` missed: every todo changed after it, once, at the
     * seq of its latest change and in its current state, ordered by seq. When the gap cannot
     * be replayed (`since` is ahead of the log, older than what is kept, or more than
     * `maxSyncChanges` entries behind) the answer is a reset with the full state.
     */
    async sync(identity: Identity, input: unknown): Promise<SyncResult> {
      const { since } = parseInput(syncInput, input);
      const { userId } = identity;
      const window = await todos.logWindow(userId);
      const replayable = since <= window.last && (window.first === 0 || since >= window.first - 1);
      const entries = replayable ? await todos.changesAfter(userId, since, maxSyncChanges + 1) : null;
      if (!entries || entries.length > maxSyncChanges) {
        // The log window is read before the state, so the state is at least as new as `seq`.
        const alive = await todos.listAllAlive(userId);
        return { seq: window.last, reset: true, todos: alive.map(toTodo) };
      }
      const latest = new Map<string, { seq: number; created: boolean }>();
      for (const entry of entries) {
        latest.set(entry.todoId, { seq: entry.seq, created: (latest.get(entry.todoId)?.created ?? false) || entry.kind === 'created' });
      }
      const docs = new Map((await todos.findManyIncludingDeleted(userId, [...latest.keys()])).map((d) => [d._id.toHexString(), d]));
      const changes: TodoChange[] = [...latest].map(([id, { seq, created }]) => {
        const doc = docs.get(id);
        if (!doc || doc.deletedAt) return { type: 'todo:deleted', id, seq };
        return { type: created ? 'todo:created' : 'todo:updated', todo: toTodo(doc), seq };
      });
      changes.sort((a, b) => a.seq - b.seq);
      return { seq: entries.at(-1)?.seq ?? since, changes };
    },
  };
}

export type TodoService = ReturnType<typeof createTodoService>;
