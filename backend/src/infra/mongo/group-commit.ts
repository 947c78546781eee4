/**
 * Group commit: items submitted one at a time are written `flush(items)` at a time. While fewer
 * than `maxInFlight` flushes run, an item goes out at once, alone; items that arrive while all
 * slots are busy wait and go together in the next flush. A lone write therefore waits for
 * nothing, and under load each store round trip carries many writes.
 *
 * Hand-written because batching libraries (DataLoader and the like) batch by event-loop tick,
 * which catches none of the writes here: each comes from its own request, in its own tick.
 */
export function groupCommit<T, R>(flush: (items: T[]) => Promise<(R | Error)[]>, options: { maxInFlight: number; maxBatch: number }): (item: T) => Promise<R> {
  let queue: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];
  let inFlight = 0;

  function pump(): void {
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const batch = queue.slice(0, options.maxBatch);
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

/**
 * What an unordered `insertMany` did to each document: true inserted, false refused as a duplicate
 * key, an Error for any other refusal. Only a failure that accounts for every document (each one
 * either inserted or named with its own error) is read per document; any other failure (the server
 * unreachable, a write concern not met) fails them all: the driver reports even a refused
 * connection as a bulk write error, with no document named.
 */
export function insertOutcomes(count: number, error: unknown): (boolean | Error)[] {
  if (error === undefined) return Array.from({ length: count }, () => true);
  const bulk = error as { writeErrors?: unknown; insertedCount?: unknown };
  const writeErrors = Array.isArray(bulk.writeErrors) ? (bulk.writeErrors as { index: number; code: number; errmsg?: string }[]) : [];
  if (writeErrors.length === 0 || typeof bulk.insertedCount !== 'number' || bulk.insertedCount + writeErrors.length !== count) throw error;
  const outcomes: (boolean | Error)[] = Array.from({ length: count }, () => true);
  for (const e of writeErrors) outcomes[e.index] = e.code === 11000 ? false : new Error(e.errmsg ?? `insert refused (code ${e.code})`);
  return outcomes;
}
