import type { Todo } from '@cobalt/contract';
import { Types, type Connection } from 'mongoose';
import { expireDocuments } from '../../../infra/mongo/expiry.js';
import type { ChangeEntryDocument, ChangeKind, TodoDocument, TodoModels } from './todo-model.js';

export const toTodo = (doc: TodoDocument): Todo => ({
  id: doc._id.toHexString(),
  title: doc.title,
  completed: doc.completed,
  createdAt: doc.createdAt.toISOString(),
  updatedAt: doc.updatedAt.toISOString(),
  version: doc.version,
});

/** Where a page ended: the last item's creation time (ms) and id. */
export interface PageCursor {
  createdAt: number;
  id: string;
}

/**
 * Removes deleted todos' tombstones `days` after their deletion. `sync` reports a todo whose
 * document is gone as deleted, so this bounds storage without changing what clients see.
 * Returns a stop function.
 */
export const enforceTombstoneRetention = (connection: Connection, days: number) => expireDocuments(connection, 'todos', 'deletedAt', days * 86_400);

const isDuplicateKey = (error: unknown) => (error as { code?: unknown }).code === 11000;

/** How many times a writer retries when another write of the same user took its seq first. */
const MAX_SEQ_CLAIMS = 50;

export interface LogWindow {
  /** Highest seq in the log (0 when the user has no changes yet). */
  last: number;
  /** Lowest seq still kept (the log is pruned from below). */
  first: number;
}

export function createTodoRepository({ Todo, ChangeEntry }: TodoModels, options: { logRetention: number }) {
  const alive = (userId: string, id: string) => ({ _id: new Types.ObjectId(id), userId, deletedAt: null });

  async function lastEntrySeq(userId: string): Promise<number> {
    const last = await ChangeEntry.findOne({ userId }, { seq: 1 }).sort({ seq: -1 }).lean();
    return last?.seq ?? 0;
  }

  return {
    /** Appends to the user's change log and returns the seq it got. */
    async appendChange(userId: string, todoId: string, kind: ChangeKind, mutationId?: string): Promise<number> {
      for (let attempt = 0; attempt < MAX_SEQ_CLAIMS; attempt++) {
        const seq = (await lastEntrySeq(userId)) + 1;
        try {
          await ChangeEntry.create({ userId, seq, todoId, kind, at: new Date(), ...(mutationId ? { mutationId } : {}) });
        } catch (error) {
          if (isDuplicateKey(error)) continue; // another write of this user took `seq`; take the next
          throw error;
        }
        if (seq % 100 === 0) void this.prune(userId, seq);
        return seq;
      }
      throw new Error(`could not claim a change sequence number for user ${userId}`);
    },

    /** Keeps the newest `logRetention` entries; a client further behind gets a reset. */
    async prune(userId: string, newestSeq: number): Promise<void> {
      await ChangeEntry.deleteMany({ userId, seq: { $lte: newestSeq - options.logRetention } }).catch(() => undefined);
    },

    async logWindow(userId: string): Promise<LogWindow> {
      const [first, last] = await Promise.all([
        ChangeEntry.findOne({ userId }, { seq: 1 }).sort({ seq: 1 }).lean(),
        ChangeEntry.findOne({ userId }, { seq: 1 }).sort({ seq: -1 }).lean(),
      ]);
      return { first: first?.seq ?? 0, last: last?.seq ?? 0 };
    },

    changesAfter: (userId: string, since: number, limit: number): Promise<ChangeEntryDocument[]> =>
      ChangeEntry.find({ userId, seq: { $gt: since } }).sort({ seq: 1 }).limit(limit).lean(),

    /** Inserts a todo; with `id`, returns null when that id already exists (a re-run of a keyed create). */
    async insert(userId: string, title: string, id?: string): Promise<TodoDocument | null> {
      try {
        const doc = await new Todo({ ...(id ? { _id: new Types.ObjectId(id) } : {}), userId, title, completed: false, version: 1, deletedAt: null }).save();
        return doc.toObject();
      } catch (error) {
        if (id && isDuplicateKey(error)) return null;
        throw error;
      }
    },

    findOwned: (userId: string, id: string): Promise<TodoDocument | null> => Todo.findOne({ _id: new Types.ObjectId(id), userId }).lean(),

    async hasChange(userId: string, todoId: string, kind: ChangeKind): Promise<boolean> {
      return (await ChangeEntry.exists({ userId, todoId, kind })) !== null;
    },

    /** Whether the write with this clientMutationId reached the change log (its last step). */
    async hasMutation(userId: string, mutationId: string): Promise<boolean> {
      return (await ChangeEntry.exists({ userId, mutationId })) !== null;
    },

    findAlive: (userId: string, id: string): Promise<TodoDocument | null> => Todo.findOne(alive(userId, id)).lean(),

    /** Current state of the given todos, tombstones included. */
    findManyIncludingDeleted: (userId: string, ids: string[]): Promise<TodoDocument[]> =>
      Todo.find({ userId, _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }).lean(),

    /** A page in creation order (createdAt, then id for todos created in the same millisecond). */
    async list(userId: string, query: { completed?: boolean; limit: number; after?: PageCursor }): Promise<{ docs: TodoDocument[]; hasMore: boolean }> {
      const filter: Record<string, unknown> = { userId, deletedAt: null };
      if (query.completed !== undefined) filter.completed = query.completed;
      if (query.after) {
        const at = new Date(query.after.createdAt);
        filter.$or = [{ createdAt: { $gt: at } }, { createdAt: at, _id: { $gt: new Types.ObjectId(query.after.id) } }];
      }
      const docs = await Todo.find(filter).sort({ createdAt: 1, _id: 1 }).limit(query.limit + 1).lean();
      return { docs: docs.slice(0, query.limit), hasMore: docs.length > query.limit };
    },

    listAllAlive: (userId: string): Promise<TodoDocument[]> => Todo.find({ userId, deletedAt: null }).sort({ createdAt: 1, _id: 1 }).lean(),

    update: (userId: string, id: string, patch: { title?: string; completed?: boolean }): Promise<TodoDocument | null> =>
      Todo.findOneAndUpdate(alive(userId, id), { $set: patch, $inc: { version: 1 } }, { returnDocument: 'after' }).lean(),

    markDeleted: (userId: string, id: string): Promise<TodoDocument | null> =>
      Todo.findOneAndUpdate(alive(userId, id), { $set: { deletedAt: new Date() }, $inc: { version: 1 } }, { returnDocument: 'after' }).lean(),

    ensureIndexes: async () => {
      await Todo.createIndexes();
      await ChangeEntry.createIndexes();
    },
  };
}

export type TodoRepository = ReturnType<typeof createTodoRepository>;
