import type { Connection } from 'mongoose';
import { logger } from '../../lib/logger.js';

/**
 * Expires documents `seconds` after their `field`: a TTL index where the server supports it
 * (MongoDB); where it does not (FerretDB v1 answers "not implemented"), a plain index and a
 * periodic delete. Returns a function that stops the periodic delete.
 */
export async function expireDocuments(connection: Connection, collection: string, field: string, seconds: number): Promise<() => void> {
  const target = connection.collection(collection);
  try {
    await target.createIndex({ [field]: 1 }, { expireAfterSeconds: seconds, name: `${collection}_ttl` });
    return () => undefined;
  } catch (error) {
    logger.info('TTL index unsupported by this MongoDB server; expiring by a periodic delete', { collection, reason: (error as Error).message });
    await target.createIndex({ [field]: 1 }, { name: `${collection}_${field}` }).catch(() => undefined);
    const purge = () => target.deleteMany({ [field]: { $lt: new Date(Date.now() - seconds * 1000) } }).catch(() => undefined);
    void purge();
    const timer = setInterval(() => void purge(), 10 * 60_000);
    timer.unref();
    return () => clearInterval(timer);
  }
}
