import type { SyncResult, Todo, TodoChange, TodoPage } from '@cobalt/contract';
import { notFound } from '../../../lib/app-error.js';
import { parseInput } from '../../../lib/validation.js';
import type { RealtimeNotifier } from '../../../realtime/notifier.js';
import { audit } from '../../audit/audit.js';
import type { Identity } from '../../auth/domain/tokens.js';
import { toChange, toTodo, type TodoRepository } from '../data-access/todo-repository.js';
import { createTodoInput, deleteTodoInput, listTodosInput, syncInput, todoId, updateTodoInput } from '../schemas.js';

export interface TodoDependencies {
  todos: TodoRepository;
  notifier: RealtimeNotifier;
  /** Most changes `sync` replays; beyond that the client gets a reset with the full state. */
  maxSyncChanges: number;
}

/**
 * The todo use cases. REST routes, GraphQL resolvers and socket handlers all call these, so
 * a todo is validated, authorised (scoped to its owner), stored and announced in one place.
 * Input is `unknown` on purpose: each use case parses it with its own schema.
 */
export function createTodoService({ todos, notifier, maxSyncChanges }: TodoDependencies) {
  function announce(userId: string, change: TodoChange): void {
    notifier.todoChanged(userId, change);
  }

  return {
    async create(identity: Identity, input: unknown): Promise<Todo> {
      const { title } = parseInput(createTodoInput, input);
      const seq = await todos.nextSeq(identity.userId);
      const todo = toTodo(await todos.insert(identity.userId, title, seq));
      announce(identity.userId, { type: 'todo:created', todo, seq });
      audit('todo.created', { todoId: todo.id, seq });
      return todo;
    },

    async update(identity: Identity, input: unknown): Promise<Todo> {
      const { id, ...patch } = parseInput(updateTodoInput, input);
      // Checking first keeps a stranger's or a missing id from consuming a sequence number.
      if (!(await todos.findAlive(identity.userId, id))) throw notFound('Todo');
      const seq = await todos.nextSeq(identity.userId);
      const doc = await todos.update(identity.userId, id, patch, seq);
      if (!doc) throw notFound('Todo');
      const todo = toTodo(doc);
      announce(identity.userId, { type: 'todo:updated', todo, seq });
      audit('todo.updated', { todoId: id, seq, fields: Object.keys(patch) });
      return todo;
    },

    async remove(identity: Identity, input: unknown): Promise<{ id: string }> {
      const { id } = parseInput(deleteTodoInput, input);
      if (!(await todos.findAlive(identity.userId, id))) throw notFound('Todo');
      const seq = await todos.nextSeq(identity.userId);
      if (!(await todos.markDeleted(identity.userId, id, seq))) throw notFound('Todo');
      announce(identity.userId, { type: 'todo:deleted', id, seq });
      audit('todo.deleted', { todoId: id, seq });
      return { id };
    },

    async get(identity: Identity, id: unknown): Promise<Todo> {
      const doc = await todos.findAlive(identity.userId, parseInput(todoId, id));
      if (!doc) throw notFound('Todo');
      return toTodo(doc);
    },

    async list(identity: Identity, input: unknown): Promise<TodoPage> {
      const query = parseInput(listTodosInput, input);
      const { docs, hasMore } = await todos.list(identity.userId, query);
      const items = docs.map(toTodo);
      return { items, nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
    },

    /**
     * What a client that last saw `since` missed: the latest state of every todo changed after
     * it, in seq order (a todo changed twice appears once, at its latest seq). When the gap
     * cannot be replayed (too old, too long, or `since` from another history) the answer is a
     * reset with the full state.
     */
    async sync(identity: Identity, input: unknown): Promise<SyncResult> {
      const { since } = parseInput(syncInput, input);
      const state = await todos.sequenceState(identity.userId);
      const docs = since <= state.seq && since >= state.purgedThrough ? await todos.changesSince(identity.userId, since, maxSyncChanges + 1) : null;
      if (!docs || docs.length > maxSyncChanges) {
        const alive = await todos.listAllAlive(identity.userId);
        return { seq: Math.max(state.seq, ...alive.map((d) => d.seq)), reset: true, todos: alive.map(toTodo) };
      }
      const changes = docs.map((doc) => toChange(doc, since));
      return { seq: Math.max(state.seq, ...changes.map((c) => c.seq)), changes };
    },
  };
}

export type TodoService = ReturnType<typeof createTodoService>;
