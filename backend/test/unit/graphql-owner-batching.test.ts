import { ApolloServer } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import type { Todo, User } from '@cobalt/contract';
import type { AuthService } from '../../src/components/auth/domain/auth-service.js';
import { createAuthResolvers } from '../../src/components/auth/entry-points/graphql.js';
import type { TodoService } from '../../src/components/todos/domain/todo-service.js';
import { createTodoResolvers } from '../../src/components/todos/entry-points/graphql.js';
import { createUserLoader, type GraphQLContext } from '../../src/graphql/context.js';
import { typeDefs } from '../../src/app/graphql-type-defs.js';

const owner: User = { id: 'u-1', email: 'ada@example.test', name: 'Ada' };
const page: Todo[] = Array.from({ length: 20 }, (_, i) => ({
  id: i.toString(16).padStart(24, '0'),
  title: `todo ${i}`,
  completed: false,
  createdAt: new Date(0).toISOString(),
  updatedAt: new Date(0).toISOString(),
  version: 1,
}));

describe('GraphQL Todo.owner', () => {
  it('when a page of 20 todos asks for its owner, then users are read once for the whole page', async () => {
    const lookups: (readonly string[])[] = [];
    const auth = {
      findUsersByIds: async (ids: readonly string[]) => {
        lookups.push(ids);
        return [owner];
      },
    } as unknown as AuthService;
    const todos = { list: async () => ({ items: page, nextCursor: null }) } as unknown as TodoService;
    const todoResolvers = createTodoResolvers(todos);
    const server = new ApolloServer<GraphQLContext>({
      typeDefs,
      resolvers: { Query: { ...createAuthResolvers(auth).Query, ...todoResolvers.Query }, Mutation: todoResolvers.Mutation, Todo: todoResolvers.Todo },
    });
    await server.start();
    const response = await server.executeOperation(
      { query: '{ todos(limit: 20) { items { id owner { id email } } } }' },
      { contextValue: { identity: { userId: owner.id, sessionId: 's-1' }, userLoader: createUserLoader(auth) } },
    );
    await server.stop();
    const result = response.body.kind === 'single' ? response.body.singleResult : null;
    expect(result?.errors).toBeUndefined();
    const items = (result?.data as { todos: { items: { owner: { id: string } }[] } }).todos.items;
    expect(items).toHaveLength(20);
    expect(items.every((t) => t.owner.id === owner.id)).toBe(true);
    expect(lookups).toEqual([[owner.id]]);
  });
});
