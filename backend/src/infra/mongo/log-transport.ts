import type { Connection } from 'mongoose';
import Transport from 'winston-transport';
import { expireDocuments, hourOf } from './expiry.js';
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

  constructor(
    private readonly connection: Connection,
    private readonly maxBuffer = 1000,
  ) {
    super({ level: 'http' });
    this.timer = setInterval(() => void this.flush(), 1000);
    this.timer.unref();
  }

  override log(info: Record<string, unknown>, callback: () => void): void {
    if (info.record && this.buffer.length < this.maxBuffer) {
      const { level, message, timestamp, ...rest } = info;
      const at = typeof timestamp === 'string' && timestamp ? new Date(timestamp) : new Date();
      this.buffer.push({ ...rest, level, message, at, hour: hourOf(at) });
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

/** Retention of the `logs` collection (see expiry.ts). */
export const enforceLogRetention = (connection: Connection, retentionDays: number) =>
  expireDocuments(connection, COLLECTION, { dateField: 'at', hourField: 'hour', seconds: retentionDays * 86_400 });
