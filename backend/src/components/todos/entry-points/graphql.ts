import type { Todo } from '@cobalt/contract';
import { AppError } from '../../../lib/app-error.js';
import { EventQueue } from '../../../lib/event-queue.js';
import { parseInput } from '../../../lib/validation.js';
import { requireIdentity, requireLive, withoutNulls, type GraphQLContext } from '../../../graphql/context.js';
import type { TodoService } from '../domain/todo-service.js';
import { syncInput } from '../schemas.js';
import { TodoChangeFeed, type TodoChangeEvent } from './todo-change-feed.js';

/** A todo as GraphQL sees it: the owner's id travels along for the batched `owner` field. */
type TodoNode = Todo & { ownerId: string };
type Args = Record<string, unknown>;
/** A catch-up that failed ends the subscription with its error (the client resubscribes with `since`). */
type FeedItem = TodoChangeEvent | { failure: unknown };

export function createTodoResolvers(todos: TodoService) {
  const node =
    (ownerId: string) =>
    (todo: Todo): TodoNode => ({ ...todo, ownerId });

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
    Subscription: {
      todoChanges: {
        subscribe(_: unknown, args: Args, ctx: GraphQLContext): AsyncIterableIterator<FeedItem> {
          const identity = requireIdentity(ctx);
          const live = requireLive(ctx);
          const since = args.since === null || args.since === undefined ? undefined : parseInput(syncInput, { since: args.since }).since;
          let stop = () => undefined as void;
          const queue = new EventQueue<FeedItem>(() => stop());
          const feed = new TodoChangeFeed(
            {
              send: (event) => queue.push(event),
              fail: (failure) => {
                queue.push({ failure });
                queue.end();
              },
            },
            { sync: (from) => todos.sync(identity, { since: from }) },
          );
          stop = live.follow({
            announce: (announcement) => {
              if (announcement.kind === 'todo') feed.live(announcement.change);
            },
            resume: () => feed.resume(),
          });
          feed.start(since);
          return queue;
        },
        resolve(item: FeedItem, _: unknown, ctx: GraphQLContext) {
          if ('failure' in item) throw item.failure;
          const toNode = node(requireIdentity(ctx).userId);
          if (item.type === 'RESET') return { ...item, id: null, todo: null, clientMutationId: null, todos: item.todos.map(toNode) };
          return { ...item, todos: null, todo: 'todo' in item ? toNode(item.todo) : null };
        },
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
