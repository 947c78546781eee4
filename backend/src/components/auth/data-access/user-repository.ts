import type { User } from '@cobalt/contract';
import { LRUCache } from 'lru-cache';
import type { Database } from '../../../infra/postgres/client.js';
import { AppError } from '../../../lib/app-error.js';
import { sessionFields, type StoredSession } from './session-repository.js';

const publicUser = { id: true, email: true, name: true } as const;

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

/**
 * Public user records (id, email, name) are never changed or deleted by Cobalt once made, so an
 * instance keeps the ones it has read: a GraphQL page's `owner` then costs no PostgreSQL round trip.
 * Bounded in count, and each kept at most `ttlMs` so that a change made outside Cobalt shows soon.
 */
export interface UserCacheOptions {
  maxUsers: number;
  ttlMs: number;
}

export const DEFAULT_USER_CACHE: UserCacheOptions = { maxUsers: 50_000, ttlMs: 5 * 60_000 };

export function createUserRepository(db: Database, cacheOptions: UserCacheOptions = DEFAULT_USER_CACHE) {
  const cache = cacheOptions.maxUsers > 0 ? new LRUCache<string, User>({ max: cacheOptions.maxUsers, ttl: cacheOptions.ttlMs }) : null;
  const kept = (user: User) => {
    cache?.set(user.id, user);
    return user;
  };
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
    /** Those not kept already in one query (GraphQL `owner` batching); ids of no user are left out. */
    async findManyByIds(ids: readonly string[]): Promise<User[]> {
      const found: User[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const user = cache?.get(id);
        if (user) found.push(user);
        else missing.push(id);
      }
      if (missing.length === 0) return found;
      const read = await db.user.findMany({ where: { id: { in: missing } }, select: publicUser });
      return found.concat(read.map(kept));
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
