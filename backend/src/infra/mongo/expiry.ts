import type { Connection } from 'mongoose';
import { errorFields, logger } from '../../lib/logger.js';
import { isDuplicateKey } from './connection.js';

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
 * (a range delete reads every document of the collection), so there, every ten minutes, each hour
 * bucket that has expired since the last purge is deleted, matched by equality, which reads only the
 * documents it deletes. How far the purges got is kept in the store (`expiry` collection), so a
 * starting instance goes on from there, whichever instance got it there; only on a database that
 * has never been purged does one range delete clear what is older (documents from before hour
 * buckets existed).
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
  const progress = connection.collection<{ _id: string; purgedBefore: number }>('expiry');
  const progressId = `${collection}:${options.hourField}`;
  /**
   * Records how far the purges got. Instances that start together on a new database each find no
   * record and each upsert one: one inserts it, and the others' inserts fail on its `_id` (MongoDB
   * does not serialise concurrent upserts). Sent again, theirs update it.
   */
  const record = async (hour: number) => {
    const update = () => progress.updateOne({ _id: progressId }, { $max: { purgedBefore: hour } }, { upsert: true });
    try {
      await update();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      await update();
    }
  };
  const warn = (what: string) => (error: unknown) => {
    logger.warn(`expiry: ${what} failed`, { collection, ...errorFields(error) });
  };
  /** Deletes the expired hour buckets from where the purges got to (every hour before it is done). */
  const purgeExpiredHours = async () => {
    const until = cutoffHour();
    const state = await progress.findOne({ _id: progressId });
    let hour = state?.purgedBefore;
    if (hour === undefined) {
      await remove({ ...extra, [options.dateField]: { $lt: new Date(until * HOUR_MS) } });
      hour = until;
    }
    for (; hour < until; hour++) await remove({ ...extra, [options.hourField]: hour });
    if (hour !== state?.purgedBefore) await record(hour);
  };
  let running = purgeExpiredHours().catch(warn('purge'));
  const timer = setInterval(() => {
    running = running.then(purgeExpiredHours).catch(warn('purge'));
  }, 10 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
