import { KEYED_TODO_ID_LENGTH, keyedTodoIdInput, type SyncResult, type Todo, type TodoPage } from '@cobalt/contract';
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { notFound } from '../../../lib/app-error.js';
import { parseInput } from '../../../lib/validation.js';
import { audit } from '../../../lib/audit.js';
import type { Identity } from '../../../lib/identity.js';
import { pageBucketOf, syncBucketOf, type TodoDocument } from '../data-access/todo-model.js';
import { toTodo, type Head, type TodoStore } from '../data-access/todo-store.js';
import { clientMutationIdSchema, encodeCursor, createTodoInput, deleteTodoInput, listTodosInput, syncInput, todoId, updateTodoInput } from '../schemas.js';
import { storeUnavailable, todoChange, type Intent, type TodoLog } from './todo-log.js';

/** The todo id a keyed create gets: the same for every attempt with that key (the contract's rule, which clients follow offline). */
export const keyedTodoId = (userId: string, clientMutationId: string): string =>
  createHash('sha256').update(keyedTodoIdInput(userId, clientMutationId)).digest('hex').slice(0, KEYED_TODO_ID_LENGTH);

/** A page as read at a head: valid while the user's head is that one. */
export interface CachedPage {
  seq: number;
  pos: number;
  page: TodoPage;
}

/** Pages kept between requests (an LRU in the server; anything with get/set in tests). */
export interface PageCache {
  get(key: string): CachedPage | undefined;
  set(key: string, entry: CachedPage): void;
}

export interface TodoDependencies {
  log: Pick<TodoLog, 'write' | 'head'>;
  /** List pages are served from here while the user's head has not moved (no write since). */
  pages?: PageCache;
  store: Pick<TodoStore, 'findAlive' | 'pageBucket' | 'allAlive' | 'syncBucket'>;
  /** Most changes one `sync` replays; further behind, the client gets a reset with the full state. */
  maxSyncChanges: number;
  /** False while the store is known to be unreachable: reads are then refused at once. */
  storeAvailable?: () => boolean;
}

/** Page buckets a list reads one by one before it reads all the user's matching todos at once. */
const MAX_PAGE_BUCKETS = 4;

const fingerprint = (operation: string, input: unknown) =>
  createHash('sha256')
    .update(JSON.stringify([operation, input]))
    .digest('base64url');

/** `clientMutationId` travels inside the input of every API; it is taken out before the input is checked. */
function splitKey(input: unknown): { key?: string; rest: unknown } {
  if (input === null || typeof input !== 'object' || Array.isArray(input) || !('clientMutationId' in input)) return { rest: input };
  const { clientMutationId, ...rest } = input;
  return { key: parseInput(clientMutationIdSchema, clientMutationId), rest };
}

/**
 * The todo use cases. REST routes, GraphQL resolvers and socket handlers all call these, so a
 * todo is validated, authorised (scoped to its owner), stored and announced in one place.
 * Input is `unknown` on purpose: each use case parses it with its own schema, before anything
 * else (a retry's fingerprint included) looks at it. Writes go through the user's change log
 * (todo-log.ts), which applies each once and announces it.
 */
export function createTodoService({ log, store, pages, maxSyncChanges, storeAvailable = () => true }: TodoDependencies) {
  const needStore = () => {
    if (!storeAvailable()) throw storeUnavailable();
  };
  async function write(identity: Identity, operation: string, key: string | undefined, checked: object, intent: Intent): Promise<TodoDocument> {
    return log.write({ userId: identity.userId, intent, ...(key ? { key, fingerprint: fingerprint(operation, checked) } : {}) });
  }

  const headOf = async (userId: string): Promise<Head> => (await log.head(userId)).head;

  /**
   * A page in creation order. Reads the page buckets from `from` on until it has one todo more than
   * the page (that one says whether another page follows); a user who deleted most of a long
   * stretch, or a filter that few todos match, gets one read of all matching todos instead.
   */
  async function readPage(userId: string, head: Head, from: number, limit: number, completed: boolean | undefined): Promise<TodoPage> {
    if (head.pos === 0) return { items: [], nextCursor: null };
    const lastBucket = pageBucketOf(Math.max(head.pos - 1, 0));
    const found: TodoDocument[] = [];
    let bucket = pageBucketOf(from);
    let complete = false;
    for (let reads = 0; bucket <= lastBucket && found.length <= limit; bucket++, reads++) {
      if (reads === MAX_PAGE_BUCKETS) {
        found.length = 0;
        found.push(...(await store.allAlive(userId, completed)).filter((d) => d.pos >= from));
        complete = true;
        break;
      }
      found.push(...(await store.pageBucket(userId, bucket, completed)).filter((d) => d.pos >= from));
    }
    // Todos created after the head was read sit past `lastBucket`: the next page finds them.
    const items = found.slice(0, limit);
    const last = items.at(-1);
    const more = found.length > limit || (!complete && bucket <= lastBucket);
    return { items: items.map(toTodo), nextCursor: more && last ? encodeCursor(last.pos) : null };
  }

  return {
    async create(identity: Identity, input: unknown): Promise<Todo> {
      const { key, rest } = splitKey(input);
      const checked = parseInput(createTodoInput, rest);
      // A keyed create's id comes from its key, so no attempt with that key can add a second todo.
      const id = key ? keyedTodoId(identity.userId, key) : new Types.ObjectId().toHexString();
      const todo = await write(identity, 'todo:create', key, checked, { kind: 'created', todoId: id, title: checked.title });
      audit('todo.created', { todoId: id });
      return toTodo(todo);
    },

    async update(identity: Identity, input: unknown): Promise<Todo> {
      const { key, rest } = splitKey(input);
      const checked = parseInput(updateTodoInput, rest);
      const { id, ...patch } = checked;
      // Scoped to the owner: a stranger's id and a missing id are the same NOT_FOUND.
      const todo = await write(identity, 'todo:update', key, checked, { kind: 'updated', todoId: id, ...patch });
      audit('todo.updated', { todoId: id, fields: Object.keys(patch) });
      return toTodo(todo);
    },

    async remove(identity: Identity, input: unknown): Promise<{ id: string }> {
      const { key, rest } = splitKey(input);
      const checked = parseInput(deleteTodoInput, rest);
      await write(identity, 'todo:delete', key, checked, { kind: 'deleted', todoId: checked.id });
      audit('todo.deleted', { todoId: checked.id });
      return { id: checked.id };
    },

    async get(identity: Identity, id: unknown): Promise<Todo> {
      needStore();
      const doc = await store.findAlive(identity.userId, parseInput(todoId, id));
      if (!doc) throw notFound('Todo');
      return toTodo(doc);
    },

    /**
     * A page in creation order. Reads the page buckets from the cursor on until it has one todo
     * more than the page (that one says whether another page follows); a user who deleted most of
     * a long stretch, or a filter that few todos match, gets one read of all matching todos instead.
     */
    async list(identity: Identity, input: unknown): Promise<TodoPage> {
      const { cursor, completed, limit } = parseInput(listTodosInput, input);
      needStore();
      const { userId } = identity;
      const from = cursor === undefined ? 0 : cursor.pos + 1;
      const { head, settled } = await log.head(userId);
      // A page read at this head is still exact: every write moves the head first.
      const cacheKey = `${userId}|${completed ?? ''}|${limit}|${from}`;
      const cached = settled ? pages?.get(cacheKey) : undefined;
      if (cached && cached.seq === head.seq && cached.pos === head.pos) return cached.page;
      const page = await readPage(userId, head, from, limit, completed);
      if (settled) pages?.set(cacheKey, { seq: head.seq, pos: head.pos, page });
      return page;
    },

    /**
     * What a client that last saw `since` missed: every todo changed after it, once, at the seq of
     * its latest change and in its current state, ordered by seq. When the gap cannot be replayed
     * (`since` is ahead of the log, more than `maxSyncChanges` behind it, or before a deletion whose
     * tombstone has expired) the answer is a reset with the full state.
     */
    async sync(identity: Identity, input: unknown): Promise<SyncResult> {
      const { since } = parseInput(syncInput, input);
      needStore();
      const { userId } = identity;
      // The head is read before the state, so the state is at least as new as `seq`.
      const head = await headOf(userId);
      const reset = async (): Promise<SyncResult> => ({ seq: head.seq, reset: true, todos: (await store.allAlive(userId)).map(toTodo) });
      if (since > head.seq || head.seq - since > maxSyncChanges) return reset();
      // Up to date (every reconnect of a device that missed nothing): no store read. A change
      // after `head` sets the head after this read and is announced after that, to this
      // connection too, which joined its rooms before it could ask.
      if (since === head.seq) return { seq: head.seq, changes: [] };
      const changed: TodoDocument[] = [];
      for (let bucket = syncBucketOf(since + 1); bucket <= syncBucketOf(head.seq); bucket++) {
        const { todos, expiredUpTo } = await store.syncBucket(userId, bucket);
        if (expiredUpTo > since) return reset();
        changed.push(...todos.filter((t) => t.seq > since));
      }
      changed.sort((a, b) => a.seq - b.seq);
      const changes = changed.map((doc) => todoChange(!doc.alive ? 'deleted' : doc.createdSeq > since ? 'created' : 'updated', doc, doc.seq, doc.mutationId));
      return { seq: Math.max(head.seq, changed.at(-1)?.seq ?? 0), changes };
    },
  };
}

export type TodoService = ReturnType<typeof createTodoService>;
