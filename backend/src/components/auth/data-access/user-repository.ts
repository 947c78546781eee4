import type { User } from '@cobalt/contract';
import type { Database } from '../../../infra/postgres/client.js';
import { AppError } from '../../../lib/app-error.js';
import { sessionFields, type StoredSession } from './session-repository.js';

const publicUser = { id: true, email: true, name: true } as const;

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

export function createUserRepository(db: Database) {
  return {
    /**
     * An account and its first session (with that session's refresh token), written in one
     * statement of nested writes, which Prisma runs in one transaction: all of it or nothing, so a
     * registration that fails leaves no account behind that could sign in or block the email.
     */
    async createWithFirstSession(input: {
      email: string;
      name: string;
      passwordHash: string;
      session: { device: string; refreshTokenHash: string; refreshExpiresAt: Date };
    }): Promise<{ user: User; session: StoredSession }> {
      try {
        const { sessions, ...user } = await db.user.create({
          data: {
            email: input.email,
            name: input.name,
            passwordHash: input.passwordHash,
            sessions: {
              create: {
                device: input.session.device,
                refreshTokens: { create: { tokenHash: input.session.refreshTokenHash, expiresAt: input.session.refreshExpiresAt } },
              },
            },
          },
          select: { ...publicUser, sessions: { select: sessionFields } },
        });
        return { user, session: sessions[0]! };
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'An account with this email already exists');
        throw error;
      }
    },
    findCredentialsByEmail: (email: string) => db.user.findUnique({ where: { email }, select: { ...publicUser, passwordHash: true } }),
    findById: (id: string): Promise<User | null> => db.user.findUnique({ where: { id }, select: publicUser }),
    /** One query for a whole page of ids (GraphQL `owner` batching). */
    findManyByIds: (ids: readonly string[]): Promise<User[]> => db.user.findMany({ where: { id: { in: [...ids] } }, select: publicUser }),
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
