import mongoose from 'mongoose';
import pg from 'pg';
import { services } from './env.js';

/**
 * What is stored for one user, read straight from the stores (not through the API under test), so
 * an attack test can assert that nothing changed: the user's todos (tombstones included) and
 * change-log entries in MongoDB, their sessions and refresh tokens in PostgreSQL.
 */
export interface StoredState {
  todos: unknown[];
  logEntries: number;
  sessions: unknown[];
  refreshTokens: unknown[];
}

export interface StoreProbe {
  stateOf(userId: string): Promise<StoredState>;
  /** Accounts whose email starts with `prefix` (registrations that must not have happened). */
  usersWithEmailPrefix(prefix: string): Promise<number>;
  /** Sessions of a user, with their device names and whether they are revoked. */
  sessionsOf(userId: string): Promise<{ id: string; device: string; revoked: boolean }[]>;
  close(): Promise<void>;
}

export async function openStoreProbe(): Promise<StoreProbe> {
  const db = new pg.Client({ connectionString: services.databaseUrl });
  await db.connect();
  const mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
  const rows = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> => (await db.query<T>(sql, params)).rows;
  return {
    async stateOf(userId) {
      const [todos, logEntries, sessions, refreshTokens] = await Promise.all([
        mongo
          .collection('todos')
          .find({ userId, kind: { $exists: false } })
          .sort({ _id: 1 })
          .toArray(),
        // Change-log entries share the collection; only they have a `kind`.
        mongo.collection('todos').countDocuments({ userId, kind: { $exists: true } }),
        rows('SELECT id, device, revoked_at, last_seen_at FROM sessions WHERE user_id = $1 ORDER BY id', [userId]),
        rows('SELECT rt.id, rt.used_at FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE s.user_id = $1 ORDER BY rt.id', [userId]),
      ]);
      return { todos, logEntries, sessions, refreshTokens };
    },
    async usersWithEmailPrefix(prefix) {
      const [row] = await rows<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE email LIKE $1 || '%'", [prefix]);
      return row!.n;
    },
    async sessionsOf(userId) {
      return rows<{ id: string; device: string; revoked: boolean }>(
        'SELECT id::text, device, revoked_at IS NOT NULL AS revoked FROM sessions WHERE user_id = $1 ORDER BY created_at',
        [userId],
      );
    },
    async close() {
      await Promise.allSettled([db.end(), mongo.close()]);
    },
  };
}
