import type { User } from '@cobalt/contract';
import type { Database } from '../../../infra/postgres/client.js';
import { AppError } from '../../../lib/app-error.js';

const publicUser = { id: true, email: true, name: true } as const;

export function createUserRepository(db: Database) {
  return {
    async create(input: { email: string; name: string; passwordHash: string }): Promise<User> {
      try {
        return await db.user.create({ data: input, select: publicUser });
      } catch (error) {
        if ((error as { code?: string }).code === 'P2002') {
          throw new AppError('CONFLICT', 'An account with this email already exists');
        }
        throw error;
      }
    },
    findCredentialsByEmail: (email: string) =>
      db.user.findUnique({ where: { email }, select: { ...publicUser, passwordHash: true } }),
    findById: (id: string): Promise<User | null> => db.user.findUnique({ where: { id }, select: publicUser }),
    /** One query for a whole page of ids (GraphQL `owner` batching). */
    findManyByIds: (ids: readonly string[]): Promise<User[]> =>
      db.user.findMany({ where: { id: { in: [...ids] } }, select: publicUser }),
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
