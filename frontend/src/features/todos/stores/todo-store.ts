import type { CobaltClient, ConnectionStatus, SettledMutation, TodoListState as SdkListState } from '@cobalt/client';
import type { Todo } from '@cobalt/contract';
import { describeError } from '../../../lib/api-error';
import { createStore } from '../../../lib/store';

export type TodoFilter = 'all' | 'active' | 'completed';

export interface TodoItem extends Todo {
  /** A change made here to this todo has not reached the server yet. */
  saving: boolean;
  /** Created here and not yet confirmed by the server. */
  unsaved: boolean;
}

export interface TodoListState {
  phase: 'loading' | 'ready' | 'unavailable';
  items: readonly TodoItem[];
  /** Changes made on this device (any tab) that the server has not confirmed yet. */
  pendingCount: number;
}

/** What the store needs of the SDK client (a real one in the app and in tests, over a fake server there). */
export type TodoClient = Pick<CobaltClient, 'todos' | 'connection' | 'on'>;

const quote = (title: string) => `“${title.length > 60 ? `${title.slice(0, 57)}…` : title}”`;

/**
 * The todo list as the screens see it, over the SDK: the server's state with this device's
 * unsent changes laid over it (pending), kept in IndexedDB so it is there offline and after a
 * reload. A change is accepted offline as well as online; when the server later refuses one, or
 * it lost to a deletion on another device, `report` says so.
 */
export class TodoStore {
  readonly state = createStore<TodoListState>({ phase: 'loading', items: [], pendingCount: 0 });
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly client: TodoClient,
    private readonly report: (message: string) => void,
  ) {
    this.unsubscribe = [
      client.todos.subscribe(() => this.publish()),
      client.connection.status.subscribe(() => this.publish()),
      client.on('settled', (outcome) => this.onSettled(outcome)),
    ];
    this.publish();
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
  }

  /** Adds a todo; resolves `false` when it could not even be kept (a rule broken, storage refused). */
  async add(rawTitle: string): Promise<boolean> {
    const title = rawTitle.trim();
    if (!title) return false;
    return this.attempt(`Couldn't add ${quote(title)}.`, () => this.client.todos.create(title));
  }

  toggle(id: string): Promise<boolean> {
    const item = this.find(id);
    if (!item) return Promise.resolve(false);
    return this.attempt(`Couldn't update ${quote(item.title)}.`, () => this.client.todos.update(id, { completed: !item.completed }));
  }

  /** Renames a todo; an unchanged title sends nothing. */
  rename(id: string, rawTitle: string): Promise<boolean> {
    const item = this.find(id);
    const title = rawTitle.trim();
    if (!item || !title || title === item.title) return Promise.resolve(false);
    return this.attempt(`Couldn't rename ${quote(item.title)}.`, () => this.client.todos.rename(id, title));
  }

  remove(id: string): Promise<boolean> {
    const item = this.find(id);
    if (!item) return Promise.resolve(false);
    return this.attempt(`Couldn't delete ${quote(item.title)}.`, () => this.client.todos.remove(id));
  }

  async clearCompleted(): Promise<void> {
    const done = this.state.getSnapshot().items.filter((item) => item.completed);
    const results = await Promise.all(
      done.map((item) =>
        this.client.todos.remove(item.id).then(
          () => null,
          (error: unknown) => describeError(error),
        ),
      ),
    );
    const failures = results.filter((r): r is string => r !== null);
    if (failures.length) this.report(`Couldn't delete ${failures.length === 1 ? '1 completed todo' : `${failures.length} completed todos`}. ${failures[0]}`);
  }

  // Internals ----------------------------------------------------------------------------------

  private find(id: string): TodoItem | undefined {
    return this.state.getSnapshot().items.find((item) => item.id === id);
  }

  private async attempt(failure: string, change: () => Promise<unknown>): Promise<boolean> {
    try {
      await change();
      return true;
    } catch (error) {
      this.report(`${failure} ${describeError(error)}`);
      return false;
    }
  }

  /** The server's final word on a change made here: only refusals and conflicts are news. */
  private onSettled(outcome: SettledMutation): void {
    const title = quote(outcome.title ?? (outcome.mutation.kind === 'create' ? outcome.mutation.title : 'a todo'));
    if (outcome.type === 'conflict') this.report(`${title} was deleted on another device, so your change was not saved.`);
    else if (outcome.type === 'rejected') this.report(`The server refused your change to ${title}. ${describeError(outcome.error)}`);
  }

  private publish(): void {
    const list: SdkListState = this.client.todos.state.get();
    const status: ConnectionStatus = this.client.connection.status.get();
    const unreachable = status.state === 'offline' || status.state === 'reconnecting';
    this.state.set({
      phase: list.ready ? 'ready' : unreachable ? 'unavailable' : 'loading',
      items: list.items.map((item) => ({ ...item, saving: item.pending, unsaved: item.version === 0 })),
      pendingCount: list.pendingCount,
    });
  }
}

export function filterTodos(items: readonly TodoItem[], filter: TodoFilter): TodoItem[] {
  if (filter === 'active') return items.filter((item) => !item.completed);
  if (filter === 'completed') return items.filter((item) => item.completed);
  return [...items];
}
