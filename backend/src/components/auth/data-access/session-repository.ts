import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Database } from '../../../infra/postgres/client.js';

export const sessionFields = { id: true, userId: true, device: true, createdAt: true, lastSeenAt: true, revokedAt: true } as const;

export interface StoredSession {
  id: string;
  userId: string;
  device: string;
  createdAt: Date;
  lastSeenAt: Date;
  revokedAt: Date | null;
}

/** What one rotation attempt found and did, in the terms the auth rules need (see auth-service.ts refresh). */
export type RotationAttempt =
  | { found: false }
  | {
      found: true;
      sessionId: string;
      userId: string;
      /** Rotated by this attempt: marked used, its successor stored, the session's lastSeenAt moved. */
      rotated: boolean;
      sessionRevoked: boolean;
      /** When the token had been used already: how long before the request arrived that use committed (ms, negative when after). */
      usedMsBeforeArrival: number | null;
    };

interface RotationRow {
  session_id: string;
  user_id: string;
  session_revoked: boolean;
  used_ms_before_arrival: number | null;
  rotated: boolean;
}

export function createSessionRepository(db: Database) {
  return {
    /** A session and its first refresh token, written together or not at all (nested writes run in one transaction). */
    create: (input: { userId: string; device: string; refreshTokenHash: string; refreshExpiresAt: Date }): Promise<StoredSession> =>
      db.session.create({
        data: {
          userId: input.userId,
          device: input.device,
          refreshTokens: { create: { tokenHash: input.refreshTokenHash, expiresAt: input.refreshExpiresAt } },
        },
        select: sessionFields,
      }),
    findActive: (id: string): Promise<StoredSession | null> => db.session.findFirst({ where: { id, revokedAt: null }, select: sessionFields }),
    findActiveForUser: (userId: string, id: string): Promise<StoredSession | null> => db.session.findFirst({ where: { id, userId, revokedAt: null }, select: sessionFields }),
    /** Sessions revoked since `since` (the revocations an access token may still be live for). */
    listRevokedSince: (since: Date): Promise<{ id: string; revokedAt: Date | null }[]> =>
      db.session.findMany({ where: { revokedAt: { gte: since } }, select: { id: true, revokedAt: true } }),
    listActive: (userId: string): Promise<StoredSession[]> => db.session.findMany({ where: { userId, revokedAt: null }, orderBy: { createdAt: 'asc' }, select: sessionFields }),
    /** Renames an active session of this user; null when there is none (missing, revoked or someone else's). */
    async rename(userId: string, id: string, device: string): Promise<StoredSession | null> {
      const { count } = await db.session.updateMany({ where: { id, userId, revokedAt: null }, data: { device } });
      return count === 1 ? db.session.findUnique({ where: { id }, select: sessionFields }) : null;
    },
    /** Returns false when it was already revoked (so the caller announces it once). */
    async revoke(id: string, reason: string): Promise<boolean> {
      const { count } = await db.session.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date(), revokedReason: reason } });
      return count === 1;
    },
    /**
     * Rotation in one SQL statement, so one transaction that reads, claims and issues at once: the
     * presented token is marked used only if it is unused, unexpired and its session live, and only
     * then is its successor stored and the session's lastSeenAt moved.
     *
     * Two requests with one token cannot both win: the second one's claim waits on the first one's
     * row lock and, once that commits, finds the token used and claims nothing. A token found used
     * comes back with the age of that use when this request arrived, on the database's clock (the
     * statement's start minus the time the request had been in flight, measured on this process's
     * monotonic clock), so instances with skewed clocks judge it alike.
     */
    async rotateRefreshToken(input: { tokenHash: string; newHash: string; expiresAt: Date; receivedAt: number }): Promise<RotationAttempt> {
      const inFlightSeconds = Math.max(0, performance.now() - input.receivedAt) / 1000;
      const rows = await db.$queryRaw<RotationRow[]>`
        WITH token AS (
          SELECT rt.id, rt.session_id, rt.used_at, s.user_id, s.revoked_at
          FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
          WHERE rt.token_hash = ${input.tokenHash}
        ), claimed AS (
          UPDATE refresh_tokens rt SET used_at = clock_timestamp()
          FROM token
          WHERE rt.id = token.id AND rt.used_at IS NULL AND rt.expires_at > statement_timestamp() AND token.revoked_at IS NULL
          RETURNING rt.session_id
        ), issued AS (
          INSERT INTO refresh_tokens (id, session_id, token_hash, expires_at)
          SELECT ${randomUUID()}::uuid, claimed.session_id, ${input.newHash}, ${input.expiresAt.toISOString()}::timestamptz FROM claimed
          RETURNING session_id
        ), seen AS (
          UPDATE sessions s SET last_seen_at = statement_timestamp() FROM issued WHERE s.id = issued.session_id
          RETURNING s.id
        )
        SELECT token.session_id::text AS session_id,
               token.user_id::text AS user_id,
               token.revoked_at IS NOT NULL AS session_revoked,
               (extract(epoch FROM (statement_timestamp() - make_interval(secs => ${inFlightSeconds}::float8) - token.used_at)) * 1000)::float8 AS used_ms_before_arrival,
               EXISTS (SELECT 1 FROM seen) AS rotated
        FROM token`;
      const row = rows[0];
      if (!row) return { found: false };
      return {
        found: true,
        rotated: row.rotated,
        sessionId: row.session_id,
        userId: row.user_id,
        sessionRevoked: row.session_revoked,
        usedMsBeforeArrival: row.used_ms_before_arrival === null ? null : Number(row.used_ms_before_arrival),
      };
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
