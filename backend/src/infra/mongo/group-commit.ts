import { isDuplicateKey } from './connection.js';

/**
 * Group commit: items submitted one at a time are written `flush(items)` at a time. While fewer
 * than `maxInFlight` flushes run, an item goes out at once, alone; items that arrive while all
 * slots are busy wait and go together in the next flush, as many as fit in `maxBatch` (counted by
 * `sizeOf`, one per item unless given). A lone write therefore waits for nothing, and under load
 * each store round trip carries many writes.
 *
 * Hand-written because batching libraries (DataLoader and the like) batch by event-loop tick,
 * which catches none of the writes here: each comes from its own request, in its own tick.
 */
export function groupCommit<T, R>(
  flush: (items: T[]) => Promise<(R | Error)[]>,
  options: { maxInFlight: number; maxBatch: number; sizeOf?: (item: T) => number },
): (item: T) => Promise<R> {
  const sizeOf = options.sizeOf ?? (() => 1);
  let queue: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];
  let inFlight = 0;

  /** How many of the queued items the next flush takes: at least one, then while they fit. */
  function nextBatchLength(): number {
    let size = sizeOf(queue[0]!.item);
    let n = 1;
    while (n < queue.length && size + sizeOf(queue[n]!.item) <= options.maxBatch) size += sizeOf(queue[n++]!.item);
    return n;
  }

  function pump(): void {
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const batch = queue.slice(0, nextBatchLength());
      queue = queue.slice(batch.length);
      inFlight++;
      flush(batch.map((b) => b.item))
        .then(
          (results) =>
            batch.forEach((b, i) => {
              const result = results[i];
              if (result instanceof Error) b.reject(result);
              else b.resolve(result as R);
            }),
          (error: unknown) => batch.forEach((b) => b.reject(error)),
        )
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      pump();
    });
}

/** What an ordered insert did to one group of documents: all in, or which one it stopped at and why. */
export type GroupOutcome = { inserted: true } | { inserted: false; at: number; duplicate: boolean; error: Error };

/** The shape of a collection's `insertMany` this needs. */
export interface InsertMany<T> {
  insertMany(docs: T[], options: { ordered: true; writeConcern: object }): Promise<unknown>;
}

/**
 * Inserts groups of documents, each group in its order and one group after another, in as few
 * `insertMany` commands as it can: all groups go in one ordered command; when it stops at a
 * document, the groups before it are in, that group is answered with where it stopped (a
 * duplicate key, or another refusal), and the groups after it go in the next command. Only a
 * failure that names the document it stopped at is read that way (the driver reports even a refused
 * connection as a bulk write error, naming none): any other fails every group not known to be in.
 */
export async function insertGroups<T>(collection: InsertMany<T>, groups: T[][], writeConcern: object): Promise<(GroupOutcome | Error)[]> {
  const outcomes: (GroupOutcome | Error)[] = [];
  let rest = groups;
  while (rest.length > 0) {
    const docs = rest.flat();
    try {
      await collection.insertMany(docs, { ordered: true, writeConcern });
      outcomes.push(...rest.map((): GroupOutcome => ({ inserted: true })));
      return outcomes;
    } catch (error) {
      const bulk = error as { writeErrors?: unknown; insertedCount?: unknown };
      const first = Array.isArray(bulk.writeErrors) ? (bulk.writeErrors[0] as { index?: unknown; code?: unknown; errmsg?: unknown } | undefined) : undefined;
      if (!first || typeof first.index !== 'number' || first.index !== bulk.insertedCount) {
        outcomes.push(...rest.map(() => (error instanceof Error ? error : new Error(String(error)))));
        return outcomes;
      }
      // Find the group the failed document belongs to.
      let offset = 0;
      let g = 0;
      while (offset + rest[g]!.length <= first.index) offset += rest[g++]!.length;
      outcomes.push(...rest.slice(0, g).map((): GroupOutcome => ({ inserted: true })));
      const duplicate = isDuplicateKey(first);
      outcomes.push({
        inserted: false,
        at: first.index - offset,
        duplicate,
        error: new Error(typeof first.errmsg === 'string' ? first.errmsg : `insert refused (code ${String(first.code)})`),
      });
      rest = rest.slice(g + 1);
    }
  }
  return outcomes;
}
