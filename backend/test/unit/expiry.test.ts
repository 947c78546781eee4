import type { Connection } from 'mongoose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expireDocuments } from '../../src/infra/mongo/expiry.js';
import { logger } from '../../src/lib/logger.js';

/** A connection whose `expiry` collection answers `updateOne` with `answers`, in turn; other collections accept everything. */
function fakeConnection(answers: (() => Promise<unknown>)[]) {
  const updates: unknown[][] = [];
  const progress = {
    findOne: async () => null,
    updateOne: (...args: unknown[]) => {
      updates.push(args);
      return (answers.shift() ?? (async () => ({ acknowledged: true })))();
    },
  };
  const target = { createIndex: async () => 'ok', deleteMany: async () => ({ deletedCount: 0 }) };
  const connection = { collection: (name: string) => (name === 'expiry' ? progress : target) } as unknown as Connection;
  return { connection, updates };
}

const options = { dateField: 'deletedAt', hourField: 'deletedHour', seconds: 3600, beforeDelete: async () => undefined };
const duplicateKey = () => Object.assign(new Error('E11000 duplicate key error collection: cobalt.expiry'), { code: 11000 });

describe('expiry by periodic purges', () => {
  afterEach(() => vi.restoreAllMocks());

  it('when another instance recorded the progress first (its upsert won the race on a new database), then the record is sent again as an update and nothing is reported as failed', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const { connection, updates } = fakeConnection([() => Promise.reject(duplicateKey())]);
    const stop = await expireDocuments(connection, 'todos', options);
    await vi.waitFor(() => expect(updates).toHaveLength(2));
    stop();
    expect(updates[1]).toEqual(updates[0]);
    expect(updates[0]?.[0]).toEqual({ _id: 'todos:deletedHour' });
    expect(warn).not.toHaveBeenCalled();
  });

  it('when recording the progress fails otherwise, then it is not retried and the failure is reported', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const { connection, updates } = fakeConnection([() => Promise.reject(Object.assign(new Error('not primary'), { code: 10107 }))]);
    const stop = await expireDocuments(connection, 'todos', options);
    await vi.waitFor(() => expect(warn).toHaveBeenCalledWith('expiry: purge failed', expect.objectContaining({ collection: 'todos' })));
    stop();
    expect(updates).toHaveLength(1);
  });
});
