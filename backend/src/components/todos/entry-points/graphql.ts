import type { Todo } from '@cobalt/contract';
import { AppError } from '../../../lib/app-error.js';
import { requireIdentity, withoutNulls, type GraphQLContext } from '../../../graphql/context.js';
import type { TodoService } from '../domain/todo-service.js';

/** A todo as GraphQL sees it: the owner's id travels along for the batched `owner` field. */
type TodoNode = Todo & { ownerId: string };
type Args = Record<string, unknown>;

export function createTodoResolvers(todos: TodoService) {
  const node = (ownerId: string) => (todo: Todo): TodoNode => ({ ...todo, ownerId });

  return {
    Query: {
      async todos(_: unknown, args: Args, ctx: GraphQLContext) {
        const identity = requireIdentity(ctx);
        const page = await todos.list(identity, withoutNulls(args));
        return { ...page, items: page.items.map(node(identity.userId)) };
      },
      async todo(_: unknown, args: Args, ctx: GraphQLContext) {
        const identity = requireIdentity(ctx);
        try {
          return node(identity.userId)(await todos.get(identity, args.id));
        } catch (error) {
          if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
          throw error;
        }
      },
    },
    Mutation: {
      async createTodo(_: unknown, args: Args, ctx: GraphQLContext) {
        const identity = requireIdentity(ctx);
        return node(identity.userId)(await todos.create(identity, withoutNulls(args)));
      },
      async updateTodo(_: unknown, args: Args, ctx: GraphQLContext) {
        const identity = requireIdentity(ctx);
        return node(identity.userId)(await todos.update(identity, withoutNulls(args)));
      },
      async deleteTodo(_: unknown, args: Args, ctx: GraphQLContext) {
        await todos.remove(requireIdentity(ctx), withoutNulls(args));
        return true;
      },
    },
    Todo: {
      owner: async (todo: TodoNode, _: unknown, ctx: GraphQLContext) => {
        const owner = await ctx.userLoader.load(todo.ownerId);
        if (!owner) throw new AppError('NOT_FOUND', 'Owner not found');
        return owner;
      },
    },
  };
}
