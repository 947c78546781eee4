import type { Todo, UpdateTodoInput } from '@cobalt/contract';
import { ApiError } from '../lib/api-error';
import type { TodoGateway } from '../features/todos/stores/todo-store';

type Method = 'list' | 'create' | 'update' | 'remove';

let counter = 0;
const nextId = () => (0x6b000000 + ++counter).toString(16).padStart(24, '0');

/**
 * An in-memory server for the todo store: real ids and versions, calls recorded, and any call
 * can be made to fail or be held until the test releases it.
 */
export class FakeTodoGateway implements TodoGateway {
  readonly todos = new Map<string, Todo>();
  readonly calls: { method: Method; args: unknown[] }[] = [];
  private failures = new Map<Method, ApiError>();
  private gates = new Map<Method, Promise<void>>();
  private clock = Date.parse('2026-01-01T10:00:00.000Z');

  seed(...titles: (string | { title: string; completed: boolean })[]): Todo[] {
    return titles.map((entry) => {
      const { title, completed } = typeof entry === 'string' ? { title: entry, completed: false } : entry;
      const todo = this.make(title, completed);
      this.todos.set(todo.id, todo);
      return todo;
    });
  }

  /** The next call of `method` fails with `code`. */
  failNext(method: Method, code: ApiError['code'], message = 'Refused'): void {
    this.failures.set(method, new ApiError(code, message));
  }

  /** The answer to the next call of `method` (made at once) waits until the returned function is called. */
  hold(method: Method): () => void {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.gates.set(method, gate);
    return () => release();
  }

  list(): Promise<Todo[]> {
    return this.serve('list', [], () => [...this.todos.values()]);
  }

  create(title: string): Promise<Todo> {
    return this.serve('create', [title], () => {
      const todo = this.make(title.trim(), false);
      this.todos.set(todo.id, todo);
      return todo;
    });
  }

  update(input: UpdateTodoInput): Promise<Todo> {
    return this.serve('update', [input], () => {
      const current = this.todos.get(input.id);
      if (!current) throw new ApiError('NOT_FOUND', 'Todo not found');
      const next: Todo = {
        ...current,
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(input.completed !== undefined ? { completed: input.completed } : {}),
        version: current.version + 1,
        updatedAt: this.tick(),
      };
      this.todos.set(next.id, next);
      return next;
    });
  }

  remove(id: string): Promise<void> {
    return this.serve('remove', [id], () => {
      if (!this.todos.delete(id)) throw new ApiError('NOT_FOUND', 'Todo not found');
    });
  }

  /** A refused call changes nothing; an accepted one takes effect at once and is answered when released. */
  private async serve<T>(method: Method, args: unknown[], perform: () => T): Promise<T> {
    this.calls.push({ method, args });
    await Promise.resolve();
    const failure = this.failures.get(method);
    this.failures.delete(method);
    let outcome: { value: T } | { error: unknown };
    try {
      if (failure) throw failure;
      outcome = { value: perform() };
    } catch (error) {
      outcome = { error };
    }
    const gate = this.gates.get(method);
    this.gates.delete(method);
    if (gate) await gate;
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  private make(title: string, completed: boolean): Todo {
    const at = this.tick();
    return { id: nextId(), title, completed, createdAt: at, updatedAt: at, version: 1 };
  }

  private tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }
}
