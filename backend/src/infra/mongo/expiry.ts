import type { Connection } from 'mongoose';
import { errorFields, logger } from '../../lib/logger.js';

const HOUR_MS = 3_600_000;
/** The hour bucket of a date: documents that expire carry it, so a purge can match it by equality. */
export const hourOf = (at: Date) => Math.floor(at.getTime() / HOUR_MS);

export interface ExpiryOptions {
  /** The date a document expires `seconds` after. */
  dateField: string;
  /** hourOf(dateField), stored with the document. */
  hourField: string;
  seconds: number;
  /** Only documents that also match this (e.g. tombstones among live todos). */
  filter?: Record<string, unknown>;
  /**
   * Runs before each delete with the filter about to be used (e.g. to leave markers of what goes).
   * With it the purge is always the periodic one, never a TTL index (which would run no hook).
   */
  beforeDelete?: (filter: Record<string, unknown>) => Promise<void>;
}

/**
 * Removes documents `seconds` after their `dateField`, and returns a function that stops it.
 *
 * MongoDB does it with a TTL index. FerretDB v1 has no TTL indexes and pushes no range filter down
 * (a range delete reads every document of the collection), so there: one range delete at start
 * (what expired while no instance ran), then, every ten minutes, a delete of each hour bucket that
 * has expired since, matched by equality, which reads only the documents it deletes.
 */
export async function expireDocuments(connection: Connection, collection: string, options: ExpiryOptions): Promise<() => void> {
  const target = connection.collection(collection);
  const extra = options.filter ?? {};
  if (!options.beforeDelete) {
    try {
      await target.createIndex({ [options.dateField]: 1 }, { expireAfterSeconds: options.seconds, name: `${collection}_ttl` });
      return () => undefined;
    } catch (error) {
      logger.info('TTL index unsupported by this MongoDB server; expiring by a periodic delete', { collection, reason: (error as Error).message });
    }
  }
  await target.createIndex({ [options.hourField]: 1 }, { name: `${collection}_${options.hourField}` }).catch(() => undefined);

  const cutoffHour = () => hourOf(new Date(Date.now() - options.seconds * 1000));
  const remove = async (filter: Record<string, unknown>) => {
    await options.beforeDelete?.(filter);
    await target.deleteMany(filter);
  };
  // Hours strictly before this one have been purged.
  let purgedBefore = cutoffHour();
  const warn = (what: string) => (error: unknown) => {
    logger.warn(`expiry: ${what} failed`, { collection, ...errorFields(error) });
  };
  let running = remove({ ...extra, [options.dateField]: { $lt: new Date(purgedBefore * HOUR_MS) } }).catch(warn('first purge'));
  const purgeExpiredHours = async () => {
    const until = cutoffHour();
    for (let hour = purgedBefore; hour < until; hour++) {
      await remove({ ...extra, [options.hourField]: hour });
      purgedBefore = hour + 1;
    }
  };
  const timer = setInterval(() => {
    running = running.then(purgeExpiredHours).catch(warn('purge'));
  }, 10 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
