import { Schema, type Connection, type Types } from 'mongoose';

// Writes wait for the journal (and a majority where there is a replica set): an acknowledged
// change survives a crash of the database.
const durable = { w: 'majority' as const, j: true };

/**
 * A todo document. A delete leaves a tombstone (`deletedAt`) so that `sync` can tell a
 * reconnecting client about it.
 */
export interface TodoDocument {
  _id: Types.ObjectId;
  userId: string;
  title: string;
  completed: boolean;
  version: number;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const todoSchema = new Schema<TodoDocument>(
  {
    userId: { type: String, required: true },
    title: { type: String, required: true },
    completed: { type: Boolean, required: true, default: false },
    version: { type: Number, required: true, default: 1 },
    deletedAt: { type: Date, default: null },
  },
  { collection: 'todos', timestamps: true, versionKey: false, strict: 'throw', writeConcern: durable },
);
// Pages of a user's todos are read in creation order.
todoSchema.index({ userId: 1, createdAt: 1, _id: 1 });

export type ChangeKind = 'created' | 'updated' | 'deleted';

/**
 * One entry of a user's change log. `seq` is unique per user and claimed by inserting it:
 * the unique index lets exactly one writer take each number, and N+1 is only tried once N
 * exists, so readers always see a gap-free prefix of the log.
 */
export interface ChangeEntryDocument {
  _id: Types.ObjectId;
  userId: string;
  seq: number;
  todoId: string;
  kind: ChangeKind;
  at: Date;
  /** The clientMutationId of the write that made it, when it had one (lets a resumed retry see it was applied). */
  mutationId?: string;
}

const changeEntrySchema = new Schema<ChangeEntryDocument>(
  {
    userId: { type: String, required: true },
    seq: { type: Number, required: true },
    todoId: { type: String, required: true },
    kind: { type: String, required: true, enum: ['created', 'updated', 'deleted'] },
    at: { type: Date, required: true },
    mutationId: { type: String },
  },
  { collection: 'todo_changes', versionKey: false, strict: 'throw', writeConcern: durable },
);
changeEntrySchema.index({ userId: 1, seq: 1 }, { unique: true });

export function registerTodoModels(connection: Connection) {
  return {
    Todo: connection.model<TodoDocument>('Todo', todoSchema),
    ChangeEntry: connection.model<ChangeEntryDocument>('ChangeEntry', changeEntrySchema),
  };
}

export type TodoModels = ReturnType<typeof registerTodoModels>;
