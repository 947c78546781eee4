import { createHash } from 'node:crypto';
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
  outcome?: { data?: unknown; error?: ErrorBody };
  createdAt: Date;
}

const schema = new Schema<IdempotencyRecord>(
  {
    _id: { type: String, required: true },
    fingerprint: { type: String, required: true },
    state: { type: String, required: true, enum: ['pending', 'done'] },
    outcome: { type: Schema.Types.Mixed },
    createdAt: { type: Date, required: true },
  },
  { collection: 'idempotency_keys', versionKey: false, writeConcern: { w: 'majority', j: true } },
);

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{8,100}$/;

export function createIdempotencyStore(connection: Connection, options: { retentionHours: number }) {
  const Model = connection.model<IdempotencyRecord>('IdempotencyKey', schema);

  return {
    /** Keys expire `retentionHours` after first use; returns a stop function. */
    enforceRetention: () => expireDocuments(connection, 'idempotency_keys', 'createdAt', options.retentionHours * 3600),

    /**
     * Runs `operation` once per (user, key). A repeat with the same request gets the stored
     * outcome (data or client error); the same key with a different request is a CONFLICT, as is
     * a repeat while the first is still running. Failures of our own (5xx) are not remembered,
     * so a retry runs again.
     */
    async run<T>(scope: { userId: string; key: string; operation: string; input: unknown }, operation: () => Promise<T>): Promise<T> {
      if (!IDEMPOTENCY_KEY_PATTERN.test(scope.key)) {
        throw new AppError('VALIDATION_FAILED', 'Idempotency key must be 8 to 100 letters, digits or . _ : -');
      }
      const _id = `${scope.userId}:${scope.key}`;
      const fingerprint = createHash('sha256').update(JSON.stringify([scope.operation, scope.input])).digest('hex');
      try {
        await Model.create({ _id, fingerprint, state: 'pending', createdAt: new Date() });
      } catch (error) {
        if ((error as { code?: unknown }).code !== 11000) throw error;
        const existing = await Model.findById(_id).lean();
        if (!existing) return this.run(scope, operation); // expired between the two calls
        if (existing.fingerprint !== fingerprint) throw new AppError('CONFLICT', 'This idempotency key was already used for a different request');
        if (existing.state === 'pending') throw new AppError('CONFLICT', 'A request with this idempotency key is still in progress; retry shortly', { retryAfterSeconds: 1 });
        if (existing.outcome?.error) throw new AppError(existing.outcome.error.code, existing.outcome.error.message, { details: existing.outcome.error.details });
        return existing.outcome?.data as T;
      }
      try {
        const data = await operation();
        await Model.updateOne({ _id }, { $set: { state: 'done', outcome: { data } } });
        return data;
      } catch (error) {
        const appError = toAppError(error);
        if (appError.httpStatus < 500 && appError.code !== 'RATE_LIMITED') {
          await Model.updateOne({ _id }, { $set: { state: 'done', outcome: { error: toErrorBody(appError) } } }).catch(() => undefined);
        } else {
          await Model.deleteOne({ _id }).catch(() => undefined);
        }
        throw error;
      }
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
