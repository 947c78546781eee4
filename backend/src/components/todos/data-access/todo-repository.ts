import type { Todo, TodoChange } from '@cobalt/contract';
import { Types } from 'mongoose';
import type { TodoDocument, TodoModels } from './todo-model.js';

export const toTodo = (doc: TodoDocument): Todo => ({
  id: doc._id.toHexString(),
  title: doc.title,
  completed: doc.completed,
  createdAt: doc.createdAt.toISOString(),
  updatedAt: doc.updatedAt.toISOString(),
  version: doc.version,
});

/** The change a client that last saw `since` needs for this document. */
export function toChange(doc: TodoDocument, since: number): TodoChange {
  if (doc.deletedAt) return { type: 'todo:deleted', id: doc._id.toHexString(), seq: doc.seq };
  return { type: doc.createdSeq > since ? 'todo:created' : 'todo:updated', todo: toTodo(doc), seq: doc.seq };
}

export function createTodoRepository({ Todo, UserSequence }: TodoModels) {
  const alive = (userId: string, id: string) => ({ _id: new Types.ObjectId(id), userId, deletedAt: null });

  return {
    async nextSeq(userId: string): Promise<number> {
      const doc = await UserSequence.findOneAndUpdate({ _id: userId }, { $inc: { seq: 1 } }, { upsert: true, new: true }).lean();
      return doc.seq;
    },

    async sequenceState(userId: string): Promise<{ seq: number; purgedThrough: number }> {
      const doc = await UserSequence.findById(userId).lean();
      return { seq: doc?.seq ?? 0, purgedThrough: doc?.purgedThrough ?? 0 };
    },

    async insert(userId: string, title: string, seq: number): Promise<TodoDocument> {
      const doc = await new Todo({ userId, title, completed: false, version: 1, seq, createdSeq: seq, deletedAt: null }).save();
      return doc.toObject();
    },

    findAlive: (userId: string, id: string): Promise<TodoDocument | null> => Todo.findOne(alive(userId, id)).lean(),

    async list(userId: string, query: { completed?: boolean; limit: number; cursor?: string }): Promise<{ docs: TodoDocument[]; hasMore: boolean }> {
      const filter: Record<string, unknown> = { userId, deletedAt: null };
      if (query.completed !== undefined) filter.completed = query.completed;
      if (query.cursor) filter._id = { $gt: new Types.ObjectId(query.cursor) };
      const docs = await Todo.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean();
      return { docs: docs.slice(0, query.limit), hasMore: docs.length > query.limit };
    },

    listAllAlive: (userId: string): Promise<TodoDocument[]> => Todo.find({ userId, deletedAt: null }).sort({ _id: 1 }).lean(),

    update: (userId: string, id: string, patch: { title?: string; completed?: boolean }, seq: number): Promise<TodoDocument | null> =>
      Todo.findOneAndUpdate(alive(userId, id), { $set: { ...patch, seq }, $inc: { version: 1 } }, { new: true }).lean(),

    markDeleted: (userId: string, id: string, seq: number): Promise<TodoDocument | null> =>
      Todo.findOneAndUpdate(alive(userId, id), { $set: { deletedAt: new Date(), seq }, $inc: { version: 1 } }, { new: true }).lean(),

    changesSince: (userId: string, since: number, limit: number): Promise<TodoDocument[]> =>
      Todo.find({ userId, seq: { $gt: since } }).sort({ seq: 1 }).limit(limit).lean(),

    ensureIndexes: async () => {
      await Todo.createIndexes();
      await UserSequence.createIndexes();
    },
  };
}

export type TodoRepository = ReturnType<typeof createTodoRepository>;
