import { Schema, type Connection, type Types } from 'mongoose';

// Writes wait for the journal (and a majority where there is a replica set): an acknowledged
// change survives a crash of the database.
export const DURABLE = { w: 'majority' as const, j: true };

/**
 * Todos are read in fixed buckets of positions (list pages) and of seqs (`sync`), each an
 * equality match. A MongoDB-wire server that pushes only equality filters down (FerretDB v1:
 * no range, sort or limit) then reads at most one bucket's documents per query, however many
 * todos the user has; MongoDB serves the same queries from an index.
 */
export const PAGE_BUCKET = 32;
export const SYNC_BUCKET = 32;
export const pageBucketOf = (pos: number) => Math.floor(pos / PAGE_BUCKET);
export const syncBucketOf = (seq: number) => Math.floor(seq / SYNC_BUCKET);

export { hourOf } from '../../../infra/mongo/expiry.js';

/**
 * A todo and its latest change. A delete leaves a tombstone (`alive: false`) so that `sync` can
 * tell a reconnecting client about it.
 */
export interface TodoDocument {
  _id: Types.ObjectId;
  userId: string;
  title: string;
  completed: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  /** `deletedAt === null`, as a field an equality filter can use. */
  alive: boolean;
  /** Creation position among the user's todos (0, 1, 2, ...): list order and cursors. */
  pos: number;
  /** pageBucketOf(pos). */
  pb: number;
  /** Seq of the todo's latest change. */
  seq: number;
  /** syncBucketOf(seq). */
  sb: number;
  /** Seq of its creation: `sync` tells created from updated by it. */
  createdSeq: number;
  /** clientMutationId of the write that made the latest change, when it had one. */
  mutationId?: string;
  /** hourOf(deletedAt), for the tombstone purge. */
  deletedHour?: number;
}

/**
 * Where expired tombstones were: `sync` reads the marker with the bucket it sat in, and a client
 * that has not seen up to `expiredUpTo` gets a reset (it may have missed a deletion).
 */
export interface TombstoneMarker {
  _id: string;
  userId: string;
  sb: number;
  marker: true;
  expiredUpTo: number;
}

const todoSchema = new Schema<TodoDocument>(
  {
    userId: { type: String, required: true },
    title: { type: String, required: true },
    completed: { type: Boolean, required: true },
    version: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    deletedAt: { type: Date, default: null },
    alive: { type: Boolean, required: true },
    pos: { type: Number, required: true },
    pb: { type: Number, required: true },
    seq: { type: Number, required: true },
    sb: { type: Number, required: true },
    createdSeq: { type: Number, required: true },
    mutationId: { type: String },
    deletedHour: { type: Number },
  },
  { collection: 'todos', versionKey: false, strict: 'throw', writeConcern: DURABLE },
);
todoSchema.index({ userId: 1, pb: 1 });
todoSchema.index({ userId: 1, sb: 1 });

export type ChangeKind = 'created' | 'updated' | 'deleted';

/**
 * One entry of a user's change log, written before the change itself (see domain/todo-log.ts),
 * in the same collection as the todos: a create writes its entry and its todo in one command. The
 * entry's `_id` claims the seq and its `key` the write's clientMutationId, both unique per user.
 * It holds what the write asks for, so a write whose instance died half-way is completed by the
 * next writer of that user, and a retry finds its key here. Entries are told from todos by `kind`
 * (todos have none) and have no `pb`, `sb` or `alive`, so no read of todos matches them.
 */
export interface LogEntry {
  /** `${userId}:${seq}` */
  _id: string;
  userId: string;
  seq: number;
  todoId: string;
  kind: ChangeKind;
  /** The clientMutationId, or `~<seq>` for a write without one (keys cannot contain `~`). */
  key: string;
  /** Hash of the operation and its input: the same key with another request is a CONFLICT. */
  fingerprint?: string;
  /** Created: the title and the position; updated: the fields set. */
  title?: string;
  completed?: boolean;
  pos?: number;
  at: Date;
  /** hourOf(at), for the retention purge. */
  hour: number;
}

/** Only log entries have a `key`: the unique index on it is partial where the server can (MongoDB). */
export const ENTRY_KEY_INDEX = { key: { userId: 1, key: 1 } as const, name: 'entry_key', unique: true, partialFilterExpression: { key: { $exists: true } } };

export function registerTodoModels(connection: Connection) {
  return { Todo: connection.model<TodoDocument>('Todo', todoSchema) };
}

export type TodoModels = ReturnType<typeof registerTodoModels>;
