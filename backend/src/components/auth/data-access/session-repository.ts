import type { Database } from '../../../infra/postgres/client.js';

const sessionFields = { id: true, userId: true, device: true, createdAt: true, lastSeenAt: true, revokedAt: true } as const;

export interface StoredSession {
  id: string;
  userId: string;
  device: string;
  createdAt: Date;
  lastSeenAt: Date;
  revokedAt: Date | null;
}

export function createSessionRepository(db: Database) {
  return {
    /** A session and its first refresh token, written together or not at all. */
    create: (input: { userId: string; device: string; refreshTokenHash: string; refreshExpiresAt: Date }): Promise<StoredSession> =>
      db.session.create({
        data: {
          userId: input.userId,
          device: input.device,
          refreshTokens: { create: { tokenHash: input.refreshTokenHash, expiresAt: input.refreshExpiresAt } },
        },
        select: sessionFields,
      }),
    findActive: (id: string): Promise<StoredSession | null> =>
      db.session.findFirst({ where: { id, revokedAt: null }, select: sessionFields }),
    findActiveForUser: (userId: string, id: string): Promise<StoredSession | null> =>
      db.session.findFirst({ where: { id, userId, revokedAt: null }, select: sessionFields }),
    listActive: (userId: string): Promise<StoredSession[]> =>
      db.session.findMany({ where: { userId, revokedAt: null }, orderBy: { createdAt: 'asc' }, select: sessionFields }),
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
    findRefreshToken: (tokenHash: string) =>
      db.refreshToken.findUnique({ where: { tokenHash }, include: { session: { select: sessionFields } } }),
    /**
     * Rotation: mark the presented token used and issue its successor in one transaction.
     * The conditional update makes two racing refreshes with one token yield exactly one winner.
     */
    async rotateRefreshToken(input: { tokenId: string; sessionId: string; newHash: string; expiresAt: Date }): Promise<boolean> {
      return db.$transaction(async (tx) => {
        const { count } = await tx.refreshToken.updateMany({ where: { id: input.tokenId, usedAt: null }, data: { usedAt: new Date() } });
        if (count !== 1) return false;
        await tx.refreshToken.create({ data: { sessionId: input.sessionId, tokenHash: input.newHash, expiresAt: input.expiresAt } });
        await tx.session.update({ where: { id: input.sessionId }, data: { lastSeenAt: new Date() } });
        return true;
      });
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
