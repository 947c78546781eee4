import { describe, expect, it } from 'vitest';
import { groupCommit, insertGroups } from '../../src/infra/mongo/group-commit.js';

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

  it('when items have sizes, then a batch takes the waiting items while they fit in maxBatch, and one larger than it alone', async () => {
    const c = controlledFlush();
    const submit = groupCommit(c.flush, { maxInFlight: 1, maxBatch: 4, sizeOf: (n: number) => n });
    const results = [1, 2, 2, 1, 5, 1].map((n) => submit(n));
    c.finishNext();
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      c.finishNext();
    }
    expect(await Promise.all(results)).toEqual([10, 20, 20, 10, 50, 10]);
    expect(c.batches).toEqual([[1], [2, 2], [1], [5], [1]]);
  });

  it('when a flush fails as a whole, then every write of that batch fails and the next batch still goes', async () => {
    let calls = 0;
    const submit = groupCommit<number, number>(
      async (items) => {
        calls++;
        if (calls === 1) throw new Error('connection closed');
        return items;
      },
      { maxInFlight: 1, maxBatch: 10 },
    );
    await expect(submit(1)).rejects.toThrow('connection closed');
    expect(await submit(2)).toBe(2);
  });

  /** A collection whose ordered insertMany refuses the documents `refuse` names, as the driver reports it. */
  function refusingCollection(refuse: Map<string, number>) {
    const stored: string[] = [];
    const commands: string[][] = [];
    return {
      stored,
      commands,
      async insertMany(docs: string[]) {
        commands.push(docs);
        for (const [i, doc] of docs.entries()) {
          const code = refuse.get(doc);
          if (code !== undefined) throw Object.assign(new Error('bulk'), { insertedCount: i, writeErrors: [{ index: i, code, errmsg: `refused ${doc}` }] });
          stored.push(doc);
        }
      },
    };
  }

  it('when groups go in together and one stops, then those before are in, that one says where, and those after go in the next command', async () => {
    const c = refusingCollection(new Map([['b2', 11000]]));
    const outcomes = await insertGroups(c, [['a1', 'a2'], ['b1', 'b2'], ['c1'], ['d1', 'd2']], {});
    expect(outcomes).toEqual([{ inserted: true }, { inserted: false, at: 1, duplicate: true, error: expect.any(Error) }, { inserted: true }, { inserted: true }]);
    expect(c.stored).toEqual(['a1', 'a2', 'b1', 'c1', 'd1', 'd2']);
    expect(c.commands).toEqual([
      ['a1', 'a2', 'b1', 'b2', 'c1', 'd1', 'd2'],
      ['c1', 'd1', 'd2'],
    ]);
  });

  it('when a group is refused for another reason than a duplicate, then it says so', async () => {
    const c = refusingCollection(new Map([['a1', 2]]));
    expect(await insertGroups(c, [['a1', 'a2']], {})).toEqual([{ inserted: false, at: 0, duplicate: false, error: expect.any(Error) }]);
  });

  it('when the insert fails without naming the document it stopped at (the server unreachable), then every group fails', async () => {
    // The driver reports a refused connection as a bulk write error with no write errors.
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoBulkWriteError', insertedCount: 0, writeErrors: [] });
    const outcomes = await insertGroups({ insertMany: () => Promise.reject(refused) }, [['a'], ['b']], {});
    expect(outcomes).toEqual([refused, refused]);
  });
});
