import { describe, expect, it } from 'vitest';
import { groupCommit, insertOutcomes } from '../../src/infra/mongo/group-commit.js';

/** A flush the test finishes by hand, recording each batch it was given. */
function controlledFlush() {
  const batches: number[][] = [];
  const finishers: (() => void)[] = [];
  const flush = (items: number[]) =>
    new Promise<(number | Error)[]>((resolve) => {
      batches.push(items);
      finishers.push(() => resolve(items.map((n) => (n < 0 ? new Error(`refused ${n}`) : n * 10))));
    });
  return { batches, flush, finishNext: () => finishers.shift()!() };
}

describe('group commit', () => {
  it('when writes come one at a time, then each goes out at once, alone', async () => {
    const c = controlledFlush();
    const submit = groupCommit(c.flush, { maxInFlight: 2, maxBatch: 10 });
    const first = submit(1);
    c.finishNext();
    expect(await first).toBe(10);
    const second = submit(2);
    c.finishNext();
    expect(await second).toBe(20);
    expect(c.batches).toEqual([[1], [2]]);
  });

  it('when every slot is busy, then the writes that arrive meanwhile go together, each answered with its own result', async () => {
    const c = controlledFlush();
    const submit = groupCommit(c.flush, { maxInFlight: 1, maxBatch: 3 });
    const results = [1, 2, -3, 4, 5].map((n) => submit(n).catch((error: Error) => error.message));
    expect(c.batches).toEqual([[1]]);
    c.finishNext();
    await Promise.resolve();
    await Promise.resolve();
    expect(c.batches).toEqual([[1], [2, -3, 4]]);
    c.finishNext();
    await new Promise((resolve) => setTimeout(resolve, 0));
    c.finishNext();
    expect(await Promise.all(results)).toEqual([10, 20, 'refused -3', 40, 50]);
    expect(c.batches).toEqual([[1], [2, -3, 4], [5]]);
  });

  it('when a flush fails as a whole, then every write of that batch fails and the next batch still goes', async () => {
    let calls = 0;
    const submit = groupCommit<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw new Error('connection closed');
      return items;
    }, { maxInFlight: 1, maxBatch: 10 });
    await expect(submit(1)).rejects.toThrow('connection closed');
    expect(await submit(2)).toBe(2);
  });

  it('when an unordered insert refuses some documents, then duplicates are false, other refusals errors, the rest true', () => {
    const error = Object.assign(new Error('bulk'), { insertedCount: 2, writeErrors: [{ index: 1, code: 11000 }, { index: 3, code: 2, errmsg: 'bad value' }] });
    const outcomes = insertOutcomes(4, error);
    expect(outcomes.slice(0, 3)).toEqual([true, false, true]);
    expect(outcomes[3]).toBeInstanceOf(Error);
    expect(insertOutcomes(2, undefined)).toEqual([true, true]);
  });

  it('when an insert fails without naming each document (the server unreachable), then every document fails', () => {
    // The driver reports a refused connection as a bulk write error with no write errors.
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoBulkWriteError', insertedCount: 0, writeErrors: [] });
    expect(() => insertOutcomes(2, refused)).toThrow('ECONNREFUSED');
    expect(() => insertOutcomes(2, new Error('network'))).toThrow('network');
    const partial = Object.assign(new Error('bulk'), { insertedCount: 0, writeErrors: [{ index: 0, code: 11000 }] });
    expect(() => insertOutcomes(3, partial)).toThrow('bulk');
  });
});
