import type { Connection } from 'mongoose';
import Transport from 'winston-transport';
import { errorFields, logger } from '../../lib/logger.js';

const COLLECTION = 'logs';

/**
 * Keeps request and audit records (log lines with `record`) in MongoDB's `logs` collection.
 * Lines are buffered and written in batches so logging never waits on the database; if
 * MongoDB is down the batch is dropped after one try (stdout still has every line).
 */
export class MongoLogTransport extends Transport {
  private buffer: Record<string, unknown>[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly connection: Connection, private readonly maxBuffer = 1000) {
    super({ level: 'http' });
    this.timer = setInterval(() => void this.flush(), 1000);
    this.timer.unref();
  }

  override log(info: Record<string, unknown>, callback: () => void): void {
    if (info.record && this.buffer.length < this.maxBuffer) {
      const { level, message, timestamp, ...rest } = info;
      this.buffer.push({ ...rest, level, message, at: timestamp ? new Date(String(timestamp)) : new Date() });
    }
    callback();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    try {
      await this.connection.collection(COLLECTION).insertMany(batch, { ordered: false });
    } catch (error) {
      logger.warn('could not store log records in mongodb', { dropped: batch.length, ...errorFields(error) });
    }
  }

  override close(): void {
    clearInterval(this.timer);
  }
}

/**
 * Retention of the `logs` collection: a TTL index where the server supports it (MongoDB);
 * where it does not (FerretDB v1 answers "not implemented"), a periodic delete of old records.
 */
export async function enforceLogRetention(connection: Connection, retentionDays: number): Promise<() => void> {
  const seconds = retentionDays * 86_400;
  const logs = connection.collection(COLLECTION);
  try {
    await logs.createIndex({ at: 1 }, { expireAfterSeconds: seconds, name: 'logs_ttl' });
    return () => undefined;
  } catch (error) {
    logger.info('TTL index unsupported by this MongoDB server; expiring logs by a periodic delete', { reason: (error as Error).message });
    await logs.createIndex({ at: 1 }, { name: 'logs_at' }).catch(() => undefined);
    const purge = () => logs.deleteMany({ at: { $lt: new Date(Date.now() - seconds * 1000) } }).catch(() => undefined);
    void purge();
    const timer = setInterval(() => void purge(), 10 * 60_000);
    timer.unref();
    return () => clearInterval(timer);
  }
}
