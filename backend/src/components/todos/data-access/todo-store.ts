import type { Todo } from '@cobalt/contract';
import { Types, type Connection } from 'mongoose';
import { isDuplicateKey } from '../../../infra/mongo/connection.js';
import { groupCommit, insertGroups, type GroupOutcome } from '../../../infra/mongo/group-commit.js';
import type { LockDocuments } from '../../../infra/redis/user-lock.js';
import { DURABLE, ENTRY_KEY_INDEX, hourOf, pageBucketOf, syncBucketOf, type LogEntry, type TodoDocument, type TodoModels, type TombstoneMarker } from './todo-model.js';

export const toTodo = (doc: TodoDocument): Todo => ({
  id: doc._id.toHexString(),
  title: doc.title,
  completed: doc.completed,
  createdAt: doc.createdAt.toISOString(),
  updatedAt: doc.updatedAt.toISOString(),
  version: doc.version,
});

/** A user's log position: the last seq given out and the next creation position. */
export interface Head {
  seq: number;
  pos: number;
}

const isMarker = (doc: TodoDocument | TombstoneMarker): doc is TombstoneMarker => (doc as TombstoneMarker).marker === true;
const objectId = (id: string) => new Types.ObjectId(id);
const byPos = (a: TodoDocument, b: TodoDocument) => a.pos - b.pos;

/** What a change sets on its todo (the log entry carries it; see domain/todo-log.ts). */
export function changeOf(entry: LogEntry): { $set: Record<string, unknown>; $unset?: Record<string, 1>; $inc: { version: 1 } } {
  const set: Record<string, unknown> = { seq: entry.seq, sb: syncBucketOf(entry.seq) };
  if (entry.kind === 'deleted') Object.assign(set, { alive: false, deletedAt: entry.at, deletedHour: hourOf(entry.at) });
  else {
    set.updatedAt = entry.at;
    if (entry.title !== undefined) set.title = entry.title;
    if (entry.completed !== undefined) set.completed = entry.completed;
  }
  const keyed = !entry.key.startsWith('~');
  if (keyed) set.mutationId = entry.key;
  return { $set: set, ...(keyed ? {} : { $unset: { mutationId: 1 as const } }), $inc: { version: 1 } };
}

/** The todo a create entry makes. */
export function todoOf(entry: LogEntry): TodoDocument {
  const pos = entry.pos ?? 0;
  return {
    _id: objectId(entry.todoId),
    userId: entry.userId,
    title: entry.title ?? '',
    completed: false,
    version: 1,
    createdAt: entry.at,
    updatedAt: entry.at,
    deletedAt: null,
    alive: true,
    pos,
    pb: pageBucketOf(pos),
    seq: entry.seq,
    sb: syncBucketOf(entry.seq),
    createdSeq: entry.seq,
    ...(entry.key.startsWith('~') ? {} : { mutationId: entry.key }),
  };
}

/** What appending a write's entry did: stored; its seq or key taken already; or (a create) stored, but its todo exists already. */
export type Appended = 'stored' | 'taken' | 'todo-exists';

/**
 * The most documents one insert command carries. FerretDB carries out an ordered insert in batches
 * of 100 documents (its `--test-batch-size`), and a document refused in one batch does not stop the
 * batches after it: they go in, and the answer counts them as inserted. An insert of more than one
 * batch could leave writes after a refused one stored while it reports where it stopped, so none is
 * sent (measured against FerretDB v1.24: test/integration/todo-store.test.ts).
 */
const MAX_DOCS_PER_INSERT = 100;

/**
 * The one place that talks to MongoDB about todos: the `todos` collection holds each todo with its
 * latest change, the change log's entries (one per change) and the markers of expired tombstones.
 * Hot paths use the driver's collection directly: inputs are validated by the domain's schemas
 * already, and results are plain objects, not Mongoose documents. Every query here is an `_id`
 * lookup or an equality match on a bucket (see todo-model.ts), so none grows with the user's data,
 * except those that return all of it (a reset, a head recovery).
 */
export function createTodoStore({ Todo }: TodoModels, connection: Connection, batching = { maxInFlight: 2, maxDocs: MAX_DOCS_PER_INSERT }) {
  const todos = connection.collection<TodoDocument>(Todo.collection.collectionName);
  const log = connection.collection<LogEntry>(Todo.collection.collectionName);
  const locks = connection.collection<{ _id: string; key: string; until: Date }>('todo_locks');

  // Each write appends its entry (a create, its entry and then its todo) in order; the appends of
  // concurrent writes (of different users: one user's writes take turns) share insert commands of at
  // most MAX_DOCS_PER_INSERT documents. See infra/mongo/group-commit.ts.
  const append = groupCommit<(LogEntry | TodoDocument)[], GroupOutcome>((groups) => insertGroups(todos as never, groups, DURABLE), {
    maxInFlight: batching.maxInFlight,
    maxBatch: batching.maxDocs,
    sizeOf: (group) => group.length,
  });
  const outcomeOf = (outcome: GroupOutcome): Appended => {
    if (outcome.inserted) return 'stored';
    if (!outcome.duplicate) throw outcome.error;
    return outcome.at === 0 ? 'taken' : 'todo-exists';
  };

  const lockDocuments: LockDocuments = {
    async insert(doc) {
      try {
        await locks.insertOne(doc, { writeConcern: DURABLE });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    find: (key) => locks.findOne({ key }, { projection: { until: 1 } }),
    async remove(id) {
      await locks.deleteOne({ _id: id }, { writeConcern: DURABLE });
    },
  };

  return {
    lockDocuments,

    /**
     * Inserts a write's log entry, and for a create its todo right after it, in one command:
     * 'taken' when the entry's seq or key is taken already (nothing is stored), 'todo-exists' when
     * the entry is stored but its todo was there already.
     */
    appendEntry: async (entry: LogEntry, todo?: TodoDocument): Promise<Appended> => outcomeOf(await append(todo ? [entry, todo] : [entry])),
    entryAt: (userId: string, seq: number): Promise<LogEntry | null> => log.findOne({ _id: `${userId}:${seq}` }),
    entryByKey: (userId: string, key: string): Promise<LogEntry | null> => log.findOne({ userId, key }),
    /** Removes the entry of a write that failed (its todo was missing): its seq is given out again. */
    async dropEntry(entry: LogEntry): Promise<void> {
      await log.deleteOne({ _id: entry._id }, { writeConcern: DURABLE });
    },

    /** Inserts the todo a create entry makes; null when it exists already (the create ran before). */
    async insertTodo(doc: TodoDocument): Promise<TodoDocument | null> {
      try {
        await todos.insertOne(doc, { writeConcern: DURABLE });
        return doc;
      } catch (error) {
        if (isDuplicateKey(error)) return null;
        throw error;
      }
    },
    /** Applies an update or delete entry to its live todo unless a change at that seq or later is there. */
    applyChange: (entry: LogEntry): Promise<TodoDocument | null> =>
      todos.findOneAndUpdate({ _id: objectId(entry.todoId), userId: entry.userId, alive: true, seq: { $lt: entry.seq } }, changeOf(entry), {
        returnDocument: 'after',
        writeConcern: DURABLE,
      }),

    /** A todo of the user, tombstone included. */
    findTodo: (userId: string, id: string) => todos.findOne({ _id: objectId(id), userId }) as Promise<TodoDocument | null>,
    findAlive: (userId: string, id: string) => todos.findOne({ _id: objectId(id), userId, alive: true }) as Promise<TodoDocument | null>,

    /** The live todos of one page bucket, in creation order. */
    async pageBucket(userId: string, pb: number, completed?: boolean): Promise<TodoDocument[]> {
      const docs = (await todos.find({ userId, pb, alive: true, ...(completed === undefined ? {} : { completed }) }).toArray()) as TodoDocument[];
      return docs.sort(byPos);
    },
    /** Every live todo of the user, in creation order (a reset, and pages that buckets serve badly). */
    async allAlive(userId: string, completed?: boolean): Promise<TodoDocument[]> {
      const docs = (await todos.find({ userId, alive: true, ...(completed === undefined ? {} : { completed }) }).toArray()) as TodoDocument[];
      return docs.sort(byPos);
    },
    /** The todos whose latest change falls in one seq bucket, and the bucket's tombstone marker. */
    async syncBucket(userId: string, sb: number): Promise<{ todos: TodoDocument[]; expiredUpTo: number }> {
      const docs = (await todos.find({ userId, sb }).toArray()) as (TodoDocument | TombstoneMarker)[];
      let expiredUpTo = 0;
      const found: TodoDocument[] = [];
      for (const doc of docs) {
        if (isMarker(doc)) expiredUpTo = Math.max(expiredUpTo, doc.expiredUpTo);
        else found.push(doc);
      }
      return { todos: found, expiredUpTo };
    },

    /**
     * The head from the store itself, when no lock holder left one (Redis lost it): the highest seq
     * and position in the user's log and todos. Reads all of them: a recovery, not a hot path.
     */
    async recoverHead(userId: string): Promise<Head> {
      // Entries, todos and tombstone markers alike: the highest seq and position of any.
      const docs = (await todos.find({ userId }, { projection: { seq: 1, pos: 1, expiredUpTo: 1 } }).toArray()) as { seq?: number; pos?: number; expiredUpTo?: number }[];
      const head: Head = { seq: 0, pos: 0 };
      for (const d of docs) {
        head.seq = Math.max(head.seq, d.seq ?? 0, d.expiredUpTo ?? 0);
        if (d.pos !== undefined) head.pos = Math.max(head.pos, d.pos + 1);
      }
      return head;
    },

    ensureIndexes: async () => {
      await Promise.all([Todo.createIndexes(), locks.createIndex({ key: 1 }, { unique: true })]);
      const { key, ...options } = ENTRY_KEY_INDEX;
      try {
        await todos.createIndex(key, options);
      } catch (error) {
        // FerretDB v1 has no partial indexes; there a plain unique index does the same, since
        // PostgreSQL lets any number of rows (the todos) have no key.
        if ((error as { code?: unknown }).code !== 238) throw error;
        const { partialFilterExpression: _partial, ...plain } = options;
        await todos.createIndex(key, plain);
      }
    },
  };
}

export type TodoStore = ReturnType<typeof createTodoStore>;
