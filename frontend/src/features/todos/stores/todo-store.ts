import type { SyncResult, Todo, TodoChange, UpdateTodoInput } from '@cobalt/contract';
import { describeError, toApiError } from '../../../lib/api-error';
import { createStore } from '../../../lib/store';
import { TodoReplica } from './todo-replica';

/** How the store reaches the server (GraphQL in the app, a fake in tests). */
export interface TodoGateway {
  list(): Promise<Todo[]>;
  create(title: string): Promise<Todo>;
  update(input: UpdateTodoInput): Promise<Todo>;
  remove(id: string): Promise<void>;
}

export type TodoFilter = 'all' | 'active' | 'completed';

export interface TodoItem extends Todo {
  /** A change of ours to this todo is on its way to the server. */
  saving: boolean;
  /** Created here and not yet confirmed: it has no server id yet. */
  unsaved: boolean;
}

export interface TodoListState {
  phase: 'loading' | 'ready' | 'unavailable';
  items: readonly TodoItem[];
}

type PendingChange =
  | { kind: 'create'; opId: number; tempId: string; title: string; createdAt: string; knownIds: ReadonlySet<string> }
  | { kind: 'update'; opId: number; id: string; patch: Pick<UpdateTodoInput, 'title' | 'completed'> }
  | { kind: 'delete'; opId: number; id: string };

const CLEAR_CONCURRENCY = 4;

const quote = (title: string) => `“${title.length > 60 ? `${title.slice(0, 57)}…` : title}”`;

/**
 * The todo list as the user sees it: the server's state (a `TodoReplica`) with this tab's
 * unconfirmed changes laid over it. A change shows at once; when the server confirms it, its
 * answer is applied like any other news; when the server refuses it, the overlay is dropped (the
 * rollback) and `report` tells the user why.
 */
export class TodoStore {
  readonly state = createStore<TodoListState>({ phase: 'loading', items: [] });
  private readonly replica = new TodoReplica();
  private pending: PendingChange[] = [];
  /** Writes to one todo go out one after another, so the server sees them in the order made. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private nextOpId = 1;
  private loaded = false;
  private loadFailed = false;

  constructor(
    private readonly gateway: TodoGateway,
    private readonly report: (message: string) => void,
  ) {}

  // Server → replica ---------------------------------------------------------------------------

  /** First paint from a plain query, so the list does not wait for the live connection. */
  async load(): Promise<void> {
    try {
      this.replica.seed(await this.gateway.list());
      this.loaded = true;
    } catch {
      this.loadFailed = true;
    }
    this.publish();
  }

  receive(event: TodoChange): void {
    if (this.replica.receive(event)) this.publish();
  }

  /** A seq was skipped by the live events (see TodoReplica): a sync is due if it stays so. */
  get hasGap(): boolean {
    return this.replica.hasGap;
  }

  beginSync(): number {
    return this.replica.beginSync();
  }

  completeSync(result: SyncResult): void {
    this.replica.completeSync(result);
    this.publish();
  }

  abandonSync(): void {
    this.replica.abandonSync();
    this.publish();
  }

  get lastSeq(): number {
    return this.replica.lastSeq;
  }

  // User actions -------------------------------------------------------------------------------

  /** Adds a todo; resolves `false` when the server refused it. */
  async add(rawTitle: string): Promise<boolean> {
    const title = rawTitle.trim();
    if (!title) return false;
    const knownIds = new Set(this.replica.list().map((todo) => todo.id));
    const change = this.begin({ kind: 'create', tempId: `local-${this.nextOpId}`, title, createdAt: new Date().toISOString(), knownIds });
    try {
      this.replica.applyTodo(await this.gateway.create(title));
      return true;
    } catch (error) {
      this.report(`Couldn't add ${quote(title)}. ${describeError(error)}`);
      return false;
    } finally {
      this.settle(change);
    }
  }

  toggle(id: string): Promise<boolean> {
    const item = this.find(id);
    if (!item) return Promise.resolve(false);
    return this.update(item, { completed: !item.completed });
  }

  /** Renames a todo; an unchanged title sends nothing. */
  rename(id: string, rawTitle: string): Promise<boolean> {
    const item = this.find(id);
    const title = rawTitle.trim();
    if (!item || !title || title === item.title) return Promise.resolve(false);
    return this.update(item, { title });
  }

  async remove(id: string): Promise<boolean> {
    const item = this.find(id);
    if (!item || item.unsaved) return false;
    const failure = await this.delete(item);
    if (failure) this.report(`Couldn't delete ${quote(item.title)}. ${failure}`);
    return !failure;
  }

  async clearCompleted(): Promise<void> {
    const queue = this.state.getSnapshot().items.filter((item) => item.completed && !item.unsaved);
    const failures: string[] = [];
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const failure = await this.delete(item);
        if (failure) failures.push(failure);
      }
    };
    await Promise.all(Array.from({ length: CLEAR_CONCURRENCY }, worker));
    if (failures.length) this.report(`Couldn't delete ${failures.length === 1 ? '1 completed todo' : `${failures.length} completed todos`}. ${failures[0]}`);
  }

  // Internals ----------------------------------------------------------------------------------

  private find(id: string): TodoItem | undefined {
    return this.state.getSnapshot().items.find((item) => item.id === id);
  }

  private async update(item: TodoItem, patch: Pick<UpdateTodoInput, 'title' | 'completed'>): Promise<boolean> {
    if (item.unsaved) return false;
    const change = this.begin({ kind: 'update', id: item.id, patch });
    try {
      this.replica.applyTodo(await this.inOrder(item.id, () => this.gateway.update({ id: item.id, ...patch })));
      return true;
    } catch (error) {
      if (toApiError(error).code === 'NOT_FOUND') {
        this.replica.applyDeletion(item.id);
        this.report(`${quote(item.title)} was deleted on another device, so your change was not saved.`);
      } else {
        this.report(`Couldn't update ${quote(item.title)}. ${describeError(error)}`);
      }
      return false;
    } finally {
      this.settle(change);
    }
  }

  /** Deletes one todo; returns why it failed, or null. Already gone counts as done. */
  private async delete(item: TodoItem): Promise<string | null> {
    const change = this.begin({ kind: 'delete', id: item.id });
    try {
      await this.inOrder(item.id, () => this.gateway.remove(item.id));
      this.replica.applyDeletion(item.id);
      return null;
    } catch (error) {
      if (toApiError(error).code === 'NOT_FOUND') {
        this.replica.applyDeletion(item.id);
        return null;
      }
      return describeError(error);
    } finally {
      this.settle(change);
    }
  }

  private inOrder<T>(id: string, write: () => Promise<T>): Promise<T> {
    const result = (this.queues.get(id) ?? Promise.resolve()).then(write, write);
    const tail = result.catch(() => undefined);
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return result;
  }

  private begin(change: DistributiveOmit<PendingChange, 'opId'>): PendingChange {
    const pending = { ...change, opId: this.nextOpId++ } as PendingChange;
    this.pending.push(pending);
    this.publish();
    return pending;
  }

  private settle(change: PendingChange): void {
    this.pending = this.pending.filter((p) => p.opId !== change.opId);
    this.publish();
  }

  private publish(): void {
    const items = new Map<string, TodoItem>();
    for (const todo of this.replica.list()) items.set(todo.id, { ...todo, saving: false, unsaved: false });
    const created: TodoItem[] = [];
    const claimed = new Set<string>();
    for (const change of this.pending) {
      if (change.kind === 'create') {
        // The broadcast of our own new todo can beat the answer to the request. A todo with the
        // same title that appeared since we sent it stands in for the placeholder, so it never
        // shows twice; if it was someone else's after all, ours appears when its answer lands.
        const arrived = [...items.values()].find((item) => item.title === change.title && !change.knownIds.has(item.id) && !claimed.has(item.id));
        if (arrived) {
          claimed.add(arrived.id);
          items.set(arrived.id, { ...arrived, saving: true });
        } else {
          created.push({ id: change.tempId, title: change.title, completed: false, createdAt: change.createdAt, updatedAt: change.createdAt, version: 0, saving: true, unsaved: true });
        }
      } else if (change.kind === 'update') {
        const item = items.get(change.id);
        if (item) items.set(change.id, { ...item, ...change.patch, saving: true });
      } else {
        items.delete(change.id);
      }
    }
    const known = this.loaded || this.replica.hasSynced;
    this.state.set({
      phase: known ? 'ready' : this.loadFailed ? 'unavailable' : 'loading',
      items: [...items.values(), ...created],
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function filterTodos(items: readonly TodoItem[], filter: TodoFilter): TodoItem[] {
  if (filter === 'active') return items.filter((item) => !item.completed);
  if (filter === 'completed') return items.filter((item) => item.completed);
  return [...items];
}
