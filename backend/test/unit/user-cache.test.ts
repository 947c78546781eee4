import { describe, expect, it } from 'vitest';
import type { User } from '@cobalt/contract';
import type { Database } from '../../src/infra/postgres/client.js';
import { createUserRepository } from '../../src/components/auth/data-access/user-repository.js';

const ada: User = { id: 'u-1', email: 'ada@example.test', name: 'Ada' };
const bob: User = { id: 'u-2', email: 'bob@example.test', name: 'Bob' };

/** A database of two users that records the ids each `findMany` asked for. */
function fakeDatabase() {
  const asked: string[][] = [];
  const db = {
    user: {
      findMany: async ({ where }: { where: { id: { in: string[] } } }) => {
        asked.push(where.id.in);
        return [ada, bob].filter((u) => where.id.in.includes(u.id));
      },
    },
  } as unknown as Database;
  return { db, asked };
}

describe('user records kept per instance (GraphQL owner)', () => {
  it('when users were read once, then asking for them again reads only the ones not kept', async () => {
    const { db, asked } = fakeDatabase();
    const users = createUserRepository(db);
    expect(await users.findManyByIds([ada.id])).toEqual([ada]);
    expect(await users.findManyByIds([ada.id])).toEqual([ada]);
    expect(await users.findManyByIds([ada.id, bob.id, 'u-none'])).toEqual([ada, bob]);
    expect(await users.findManyByIds([bob.id, ada.id])).toEqual([bob, ada]);
    expect(asked).toEqual([[ada.id], [bob.id, 'u-none']]);
  });

  it('when an id is of no user, then it is asked for again next time (nothing is kept for it)', async () => {
    const { db, asked } = fakeDatabase();
    const users = createUserRepository(db);
    expect(await users.findManyByIds(['u-none'])).toEqual([]);
    expect(await users.findManyByIds(['u-none'])).toEqual([]);
    expect(asked).toEqual([['u-none'], ['u-none']]);
  });

  it('when the cache is turned off, then every call reads the database', async () => {
    const { db, asked } = fakeDatabase();
    const users = createUserRepository(db, { maxUsers: 0, ttlMs: 0 });
    await users.findManyByIds([ada.id]);
    await users.findManyByIds([ada.id]);
    expect(asked).toEqual([[ada.id], [ada.id]]);
  });

  it('when a kept record is older than its time to live, then it is read again', async () => {
    const { db, asked } = fakeDatabase();
    const users = createUserRepository(db, { maxUsers: 10, ttlMs: 20 });
    await users.findManyByIds([ada.id]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    await users.findManyByIds([ada.id]);
    expect(asked).toEqual([[ada.id], [ada.id]]);
  });
});
