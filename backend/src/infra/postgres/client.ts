import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client.js';

export type Database = PrismaClient;

export function createPrismaClient(connectionString: string): PrismaClient {
  const adapter = new PrismaPg({
    connectionString,
    max: 10,
    // Fail fast instead of hanging when Postgres is down: requests get 503 UNAVAILABLE.
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
  });
  return new PrismaClient({ adapter });
}
