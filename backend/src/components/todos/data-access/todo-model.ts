import { Schema, type Connection, type Types } from 'mongoose';

/**
 * A todo document. A delete leaves a tombstone (`deletedAt`) so the change feed can tell
 * reconnecting clients about it; `seq` is the user's sequence number of the last change.
 * Each change is one single-document write, atomic without transactions.
 */
export interface TodoDocument {
  _id: Types.ObjectId;
  userId: string;
  title: string;
  completed: boolean;
  version: number;
  seq: number;
  createdSeq: number;
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
    seq: { type: Number, required: true },
    createdSeq: { type: Number, required: true },
    deletedAt: { type: Date, default: null },
  },
  // Writes wait for the journal (and a majority where there is a replica set): an acknowledged
  // change survives a crash of the database.
  { collection: 'todos', timestamps: true, versionKey: false, strict: 'throw', writeConcern: { w: 'majority', j: true } },
);
// Listing pages by id, and reading the change feed by seq.
todoSchema.index({ userId: 1, _id: 1 });
todoSchema.index({ userId: 1, seq: 1 });

/** Per-user sequence counter: `seq` only grows; changes older than `purgedThrough` are gone. */
export interface UserSequenceDocument {
  _id: string;
  seq: number;
  purgedThrough: number;
}
const userSequenceSchema = new Schema<UserSequenceDocument>(
  { _id: { type: String, required: true }, seq: { type: Number, required: true, default: 0 }, purgedThrough: { type: Number, default: 0 } },
  { collection: 'user_sequences', versionKey: false, writeConcern: { w: 'majority', j: true } },
);

export function registerTodoModels(connection: Connection) {
  return {
    Todo: connection.model<TodoDocument>('Todo', todoSchema),
    UserSequence: connection.model<UserSequenceDocument>('UserSequence', userSequenceSchema),
  };
}

export type TodoModels = ReturnType<typeof registerTodoModels>;
