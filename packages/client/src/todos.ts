import { TITLE_MAX_LENGTH, type SyncResult, type Todo, type TodoChange } from '@cobalt/contract';
import type { Connection } from './connection.js';
import { CobaltError } from './errors.js';
import { keyedTodoId } from './ids.js';
import { DerivedValue } from './observable.js';
import { Outbox, type Mutation } from './outbox.js';
import type { ClientStorage, Coordinator } from './platform/ports.js';
import { TodoReplica, type ReplicaSnapshot } from './replica.js';
import { OutboxSender, type MutationOutcome, type SenderOptions } from './sender.js';
import { TodoSync, type SyncReason } from './sync.js';

/** A todo as this device shows it: the server's state with this device's unconfirmed changes laid over it. */
export interface TodoItem extends Todo {
  /** A change made here to this todo has not been confirmed by the server yet. */
  pending: boolean;
}

export interface TodoListState {
  /** The list is known: kept from an earlier run, or synced in this one. */
  ready: boolean;
  /** Synced with the server since this client started. */
  synced: boolean;
  /** In creation order. */
  items: readonly TodoItem[];
  /** Changes made on this device that the server has not confirmed yet. */
  pendingCount: number;
}

export const EMPTY_TODO_LIST: TodoListState = Object.freeze({ ready: false, synced: false, items: Object.freeze([]), pendingCount: 0 });

/** What `settled` reports: the outcome, and the todo's last known title for messages. */
export type SettledMutation = MutationOutcome & { title?: string };

/** Everything the SDK can tell about the sync, for apps, tests and load tools that keep accounts. */
export interface SyncEvents {
  /** A live `todo:*` event; `fresh` false when its seq was already applied (the server announced it again) and it was dropped. */
  'live-event': { event: TodoChange; fresh: boolean };
  /** A `sync` answer was applied. */
  synced: { reason: SyncReason; since: number; seq: number; reset: boolean; changes: number };
  /** `sync:required` arrived. */
  hinted: Record<string, never>;
  /** A local change was kept and queued. */
  queued: { mutation: Mutation };
  /** A mutation went out (`attempt` 1 the first time). */
  sent: { mutation: Mutation; attempt: number };
  /** It will go out again with the same id. */
  retrying: { mutation: Mutation; error: CobaltError; attempt: number; delayMs: number | null };
  /** The server's final answer: confirmed, a conflict, or rejected. */
  settled: SettledMutation;
}

export interface TodoScopeOptions {
  userId: string;
  storage: ClientStorage;
  coordinator: Coordinator;
  connection: Pick<Connection, 'events' | 'isReady' | 'live'>;
  refresh: () => Promise<unknown>;
  emit: <E extends keyof SyncEvents>(event: E, payload: SyncEvents[E]) => void;
  randomId: () => string;
  syncTimeoutMs: number;
  sender?: SenderOptions;
  random?: () => number;
  now?: () => number;
}

const titleProblem = (title: string): string | null => {
  if (!title) return 'Title must not be empty';
  if (title.length > TITLE_MAX_LENGTH) return `Title must be at most ${TITLE_MAX_LENGTH} characters`;
  return null;
};

function checkTitle(raw: unknown): string {
  if (typeof raw !== 'string') throw new CobaltError('VALIDATION_FAILED', 'Request validation failed', { details: [{ path: 'title', message: 'Title must be a string' }] });
  const title = raw.trim();
  const problem = titleProblem(title);
  if (problem) throw new CobaltError('VALIDATION_FAILED', 'Request validation failed', { details: [{ path: 'title', message: problem }] });
  return title;
}

/**
 * One user's todos on this device: the replica of the server's state (kept in storage, so the
 * list is there at the next start, offline too), the outbox of changes made here, the sync that
 * feeds the replica, and the sender that empties the outbox (in the one client of the device that
 * leads). Changes show at once, as an overlay on the replica, and are confirmed by their id.
 */
export class TodoScope {
  /** Computed when read (or while someone listens): a device nobody watches pays nothing per event for it. */
  readonly state: DerivedValue<TodoListState>;
  private readonly replica: TodoReplica;
  private readonly outbox: Outbox;
  private readonly sync: TodoSync;
  private sender: OutboxSender | null = null;
  private releaseLead: (() => void) | null = null;
  private syncedOnConnection = false;
  private restored = false;
  private closed = false;
  private persisting: Promise<void> | null = null;
  private dirty = false;
  /** The title each todo with changes pending here is known by, for messages when they settle. */
  private readonly titles = new Map<string, string>();
  /** The shown item of each replica todo, made once per version (todos are replaced, never changed). */
  private readonly shown = new WeakMap<Todo, TodoItem>();
  private readonly offConnection: (() => void)[] = [];

  constructor(private readonly options: TodoScopeOptions) {
    this.state = new DerivedValue(() => this.compose());
    this.replica = new TodoReplica((event, fresh) => options.emit('live-event', { event, fresh }));
    this.outbox = new Outbox(options.storage, options.userId, options.coordinator.channel(`cobalt-outbox:${options.userId}`), options.now);
    this.sync = new TodoSync(
      this.replica,
      options.connection,
      {
        synced: ({ reason, since, result }) => this.onSynced(reason, since, result),
        changed: (change, source) => this.onChange(change, source),
        hinted: () => options.emit('hinted', {}),
      },
      { timeoutMs: options.syncTimeoutMs, random: options.random },
    );
  }

  private get replicaKey(): string {
    return `replica:${this.options.userId}`;
  }

  get userId(): string {
    return this.options.userId;
  }

  get pendingCount(): number {
    return this.outbox.size;
  }

  /** Loads what was kept, starts following the connection, and asks to lead the device's sending. */
  async open(): Promise<void> {
    const snapshot = await this.options.storage.get<ReplicaSnapshot>(this.replicaKey).catch(() => undefined);
    if (snapshot) {
      this.replica.restore(snapshot);
      this.restored = true;
    }
    await this.outbox.open();
    if (this.closed) return;
    this.outbox.onChange(() => {
      this.rememberTitles();
      this.state.invalidate();
    });
    this.rememberTitles();
    this.offConnection.push(this.options.connection.events.on('lost', () => this.setSynced(false)));
    this.sync.start();
    this.releaseLead = this.options.coordinator.lead(`cobalt-outbox:${this.options.userId}`, () => this.becomeLeader());
    this.state.invalidate();
  }

  /** Stops syncing and sending; what was kept stays kept. */
  async close(): Promise<void> {
    this.closed = true;
    this.sync.stop();
    this.sender?.close();
    this.releaseLead?.();
    for (const off of this.offConnection) off();
    this.outbox.close();
    await this.persisting;
  }

  /** Forgets this user's todos and unsent changes on this device. */
  async clearLocalData(): Promise<void> {
    await this.close();
    await this.outbox.clear().catch(() => undefined);
    await this.options.storage.delete(this.replicaKey).catch(() => undefined);
  }

  // Local changes ------------------------------------------------------------------------------

  async create(rawTitle: string): Promise<TodoItem> {
    const title = checkTitle(rawTitle);
    const id = this.options.randomId();
    const todoId = keyedTodoId(this.options.userId, id);
    await this.queue({ id, kind: 'create', todoId, title, at: this.nowIso() });
    return this.item(todoId)!;
  }

  /** Changes the title and/or completion; fields equal to what is shown are left out, and nothing at all is sent when none differ. */
  async update(id: string, patch: { title?: string; completed?: boolean }): Promise<TodoItem> {
    const item = this.require(id);
    const changes: { title?: string; completed?: boolean } = {};
    if (patch.title !== undefined) {
      const title = checkTitle(patch.title);
      if (title !== item.title) changes.title = title;
    }
    if (patch.completed !== undefined) {
      if (typeof patch.completed !== 'boolean')
        throw new CobaltError('VALIDATION_FAILED', 'Request validation failed', { details: [{ path: 'completed', message: 'completed must be a boolean' }] });
      if (patch.completed !== item.completed) changes.completed = patch.completed;
    }
    if (changes.title === undefined && changes.completed === undefined) return item;
    await this.queue({ id: this.options.randomId(), kind: 'update', todoId: id, patch: changes, at: this.nowIso() });
    return this.item(id)!;
  }

  async remove(id: string): Promise<void> {
    this.require(id);
    await this.queue({ id: this.options.randomId(), kind: 'delete', todoId: id, at: this.nowIso() });
  }

  /** Resolves once every change made here has been answered by the server. */
  whenSent(): Promise<void> {
    if (this.outbox.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.outbox.onChange(() => {
        if (this.outbox.size > 0) return;
        off();
        resolve();
      });
    });
  }

  item(id: string): TodoItem | undefined {
    return this.state.get().items.find((item) => item.id === id);
  }

  // Internals ----------------------------------------------------------------------------------

  private require(id: string): TodoItem {
    const item = this.item(id);
    if (!item) throw new CobaltError('NOT_FOUND', 'Todo not found');
    return item;
  }

  private nowIso(): string {
    return new Date((this.options.now ?? Date.now)()).toISOString();
  }

  private async queue(mutation: Mutation): Promise<void> {
    // The title the todo is known by elsewhere (the server's), for messages when this settles; ours while only we know it.
    const known = this.replica.get(mutation.todoId)?.title ?? this.titles.get(mutation.todoId) ?? (mutation.kind === 'create' ? mutation.title : this.item(mutation.todoId)?.title);
    await this.outbox.add(mutation);
    if (known !== undefined) this.titles.set(mutation.todoId, known);
    this.options.emit('queued', { mutation });
  }

  private becomeLeader(): void {
    if (this.closed) return;
    this.sender = new OutboxSender(
      this.outbox,
      this.options.connection,
      this.options.refresh,
      {
        settle: (outcome) => this.settle(outcome),
        sent: (info) => this.options.emit('sent', info),
        retrying: (info) => this.options.emit('retrying', info),
      },
      this.options.sender,
    );
    this.sender.setEnabled(this.syncedOnConnection);
  }

  private setSynced(on: boolean): void {
    this.syncedOnConnection = on;
    this.sender?.setEnabled(on);
  }

  private onSynced(reason: SyncReason, since: number, result: SyncResult): void {
    this.options.emit('synced', { reason, since, seq: result.seq, reset: result.reset === true, changes: result.reset ? result.todos.length : result.changes.length });
    this.changed();
    // The outbox goes out after the first sync of a connection: the replica then knows what
    // happened meanwhile (a todo deleted elsewhere, a change already confirmed).
    this.setSynced(true);
  }

  /** A change from the server: it may be the confirmation of one of ours, named by its id. */
  private onChange(change: TodoChange, source: 'live' | 'sync'): void {
    if (change.type !== 'todo:deleted' && this.titles.has(change.todo.id)) this.titles.set(change.todo.id, change.todo.title);
    const id = change.clientMutationId;
    const mutation = id ? this.outbox.find(id) : undefined;
    if (mutation) {
      const todo = change.type === 'todo:deleted' ? undefined : change.todo;
      const outcome: MutationOutcome = { type: 'confirmed', mutation, via: source === 'live' ? 'event' : 'sync', todo };
      if (this.sender) this.settle(outcome);
      else {
        // The leading client of the device removes it from storage; here it stops showing.
        this.outbox.forget(mutation.id);
        this.applyOutcome(outcome);
      }
    }
    this.changed();
  }

  /** The server's final answer to one of our changes. */
  private settle(outcome: MutationOutcome): void {
    const { mutation } = outcome;
    if (!this.outbox.has(mutation.id)) return;
    // A create refused for good takes the later changes to its todo with it (in the same step,
    // so none of them goes out meanwhile).
    const dropped = outcome.type === 'rejected' && mutation.kind === 'create' ? this.outbox.pending.filter((m) => m.todoId === mutation.todoId && m.id !== mutation.id) : [];
    const title = this.replica.get(mutation.todoId)?.title ?? this.titles.get(mutation.todoId);
    void this.outbox.remove(mutation.id, ...dropped.map((m) => m.id));
    this.applyOutcome(outcome);
    if (!this.outbox.pending.some((m) => m.todoId === mutation.todoId)) this.titles.delete(mutation.todoId);
    this.options.emit('settled', { ...outcome, title });
    for (const later of dropped) this.options.emit('settled', { type: 'rejected', mutation: later, error: (outcome as { error: CobaltError }).error, title });
    this.changed();
  }

  private applyOutcome(outcome: MutationOutcome): void {
    const { mutation } = outcome;
    if (outcome.type === 'confirmed') {
      // Applied by version, like any news: the matching event then changes nothing.
      if (outcome.todo) this.replica.applyTodo(outcome.todo);
      if (mutation.kind === 'delete') this.replica.applyDeletion(mutation.todoId);
    } else if (outcome.type === 'conflict') {
      this.replica.applyDeletion(mutation.todoId);
    }
  }

  /** The replica changed: show it, and keep it for the next start. */
  private changed(): void {
    this.state.invalidate();
    this.persistSoon();
  }

  private persistSoon(): void {
    if (this.closed) return;
    this.dirty = true;
    this.persisting ??= this.persistLoop();
  }

  /** Writes the replica whenever it changed since the last write, one write at a time. */
  private async persistLoop(): Promise<void> {
    try {
      while (this.dirty && !this.closed) {
        await Promise.resolve(); // let a burst of changes land first
        this.dirty = false;
        await this.options.storage.set(this.replicaKey, this.replica.snapshot()).catch(() => undefined);
      }
    } finally {
      this.persisting = null;
    }
  }

  private compose(): TodoListState {
    const items = new Map<string, TodoItem>();
    for (const todo of this.replica.list()) items.set(todo.id, this.shownItem(todo));
    for (const mutation of this.outbox.pending) {
      const item = items.get(mutation.todoId);
      if (mutation.kind === 'create') {
        if (item) items.set(item.id, { ...item, pending: true });
        // A todo created here and deleted elsewhere since (its create reached the server earlier) stays deleted.
        else if (!this.replica.isDeleted(mutation.todoId))
          items.set(mutation.todoId, { id: mutation.todoId, title: mutation.title, completed: false, createdAt: mutation.at, updatedAt: mutation.at, version: 0, pending: true });
      } else if (mutation.kind === 'update') {
        if (item) items.set(item.id, { ...item, ...mutation.patch, updatedAt: mutation.at, pending: true });
      } else {
        items.delete(mutation.todoId);
      }
    }
    return { ready: this.restored || this.replica.hasSynced, synced: this.replica.hasSynced, items: [...items.values()], pendingCount: this.outbox.size };
  }

  /** Changes kept from an earlier run or queued by another tab: the title their todo is known by now. */
  private rememberTitles(): void {
    for (const mutation of this.outbox.pending) {
      if (this.titles.has(mutation.todoId)) continue;
      const known = this.replica.get(mutation.todoId)?.title ?? (mutation.kind === 'create' ? mutation.title : undefined);
      if (known !== undefined) this.titles.set(mutation.todoId, known);
    }
  }

  private shownItem(todo: Todo): TodoItem {
    let item = this.shown.get(todo);
    if (!item) this.shown.set(todo, (item = { ...todo, pending: false }));
    return item;
  }
}
