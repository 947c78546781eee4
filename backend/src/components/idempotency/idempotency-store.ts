import { createHash, randomUUID } from 'node:crypto';
import { Schema, type Connection } from 'mongoose';
import type { ErrorBody } from '@cobalt/contract';
import { expireDocuments } from '../../infra/mongo/expiry.js';
import { AppError, toAppError, toErrorBody } from '../../lib/app-error.js';

/**
 * Remembers the outcome of writes that carry a client-chosen key (REST `Idempotency-Key`,
 * GraphQL and socket `clientMutationId`), so a retried write is applied once and answered
 * with the same result. Keys are per user and kept for `retentionHours`.
 */
interface IdempotencyRecord {
  _id: string;
  fingerprint: string;
  state: 'pending' | 'done';
  /** Which attempt holds a pending record (a takeover removes exactly that one). */
  claim?: string;
  outcome?: { data?: unknown; error?: ErrorBody };
  createdAt: Date;
}

const schema = new Schema<IdempotencyRecord>(
  {
    _id: { type: String, required: true },
    fingerprint: { type: String, required: true },
    state: { type: String, required: true, enum: ['pending', 'done'] },
    claim: { type: String },
    outcome: { type: Schema.Types.Mixed },
    createdAt: { type: Date, required: true },
  },
  { collection: 'idempotency_keys', versionKey: false, writeConcern: { w: 'majority', j: true } },
);

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{8,100}$/;

/**
 * How long a first attempt may hold its key before a retry takes over. A write takes milliseconds
 * (seconds at worst: a 3 s write-lock wait, 2 s store timeouts); an attempt still pending after
 * this died with its instance (SIGKILL, power loss) and would otherwise block its key for good.
 */
export const PENDING_LEASE_MS = 10_000;

const inProgress = (retryAfterSeconds: number) =>
  new AppError('CONFLICT', 'A request with this idempotency key is still in progress; retry shortly', { retryAfterSeconds, details: { reason: 'in_progress' } });

/** Told to an operation run under a key: `resumed` when an earlier attempt died part-way through it. */
export interface Attempt {
  resumed: boolean;
}

export function createIdempotencyStore(connection: Connection, options: { retentionHours: number }) {
  const Model = connection.model<IdempotencyRecord>('IdempotencyKey', schema);

  return {
    /** Keys expire `retentionHours` after first use; returns a stop function. */
    enforceRetention: () => expireDocuments(connection, 'idempotency_keys', 'createdAt', options.retentionHours * 3600),

    /**
     * Runs `operation` once per (user, key). A repeat with the same request gets the stored
     * outcome (data or client error); the same key with a different request is a CONFLICT, as is
     * a repeat while the first is still running (for up to PENDING_LEASE_MS; after that the first
     * is taken for dead and the repeat runs, told it is `resumed`). Failures of our own (5xx) are
     * not remembered, so a retry runs again.
     */
    async run<T>(scope: { userId: string; key: string; operation: string; input: unknown }, operation: (attempt: Attempt) => Promise<T>): Promise<T> {
      if (!IDEMPOTENCY_KEY_PATTERN.test(scope.key)) {
        throw new AppError('VALIDATION_FAILED', 'Idempotency key must be 8 to 100 letters, digits or . _ : -');
      }
      const _id = `${scope.userId}:${scope.key}`;
      const fingerprint = createHash('sha256').update(JSON.stringify([scope.operation, scope.input])).digest('hex');
      let resumed = false;
      for (let round = 0; ; round++) {
        try {
          await Model.create({ _id, fingerprint, state: 'pending', claim: randomUUID(), createdAt: new Date() });
          break;
        } catch (error) {
          if ((error as { code?: unknown }).code !== 11000) throw error;
        }
        if (round >= 3) throw inProgress(1); // other retries keep taking the key over
        const existing = await Model.findById(_id).lean();
        if (!existing) continue; // expired between the two calls
        if (existing.fingerprint !== fingerprint) throw new AppError('CONFLICT', 'This idempotency key was already used for a different request');
        if (existing.state === 'pending') {
          const heldFor = Date.now() - existing.createdAt.getTime();
          if (heldFor < PENDING_LEASE_MS) {
            throw inProgress(Math.max(1, Math.ceil((PENDING_LEASE_MS - heldFor) / 1000)));
          }
          // The attempt holding the key is gone. Its record is removed by its claim (a concurrent
          // retry that already took over keeps its own); the unique insert above decides who runs.
          await Model.deleteOne({ _id, state: 'pending', ...(existing.claim ? { claim: existing.claim } : { createdAt: existing.createdAt }) });
          resumed = true;
          continue;
        }
        if (existing.outcome?.error) throw new AppError(existing.outcome.error.code, existing.outcome.error.message, { details: existing.outcome.error.details });
        return existing.outcome?.data as T;
      }
      try {
        const data = await operation({ resumed });
        await Model.updateOne({ _id }, { $set: { state: 'done', outcome: { data } }, $unset: { claim: 1 } });
        return data;
      } catch (error) {
        const appError = toAppError(error);
        if (appError.httpStatus < 500 && appError.code !== 'RATE_LIMITED') {
          await Model.updateOne({ _id }, { $set: { state: 'done', outcome: { error: toErrorBody(appError) } }, $unset: { claim: 1 } }).catch(() => undefined);
        } else {
          await Model.deleteOne({ _id }).catch(() => undefined);
        }
        throw error;
      }
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
