import type { SyncResult, Todo, TodoChange } from '@cobalt/contract';

/** What a replica keeps across restarts: the state at `lastSeq`, which the next sync starts from. */
export interface ReplicaSnapshot {
  lastSeq: number;
  todos: Todo[];
}

/** How each live event turned out: `fresh` false when its seq was already applied and it was dropped. */
export type LiveEventListener = (event: TodoChange, fresh: boolean) => void;

/**
 * The client side of the sync protocol (docs/API.md, section 7, "Client algorithm"): the user's
 * todos as the server last told them, however the news arrived (live event, sync answer, the
 * answer to our own write, or a snapshot kept from an earlier run).
 *
 * - Changes are applied by `version`, never by arrival order, and a deleted id stays deleted, so
 *   applying anything twice, late or out of order is harmless.
 * - Live events are buffered while a `sync` is in flight and applied after its answer.
 * - `lastSeq` only advances over an unbroken run of sequence numbers (the log has no gaps). An
 *   event overtaken by a later one and then lost in a disconnect is therefore asked for again by
 *   the next `sync`, instead of being skipped because a higher number was already seen.
 * - A live event whose seq it has already seen is dropped: the server may announce a change again
 *   (a retried write announces what it finds done), and the copy changes nothing.
 * - `hasGap` says a seq was skipped: whoever drives the replica syncs if it stays skipped.
 */
export class TodoReplica {
  private readonly todos = new Map<string, Todo>();
  private readonly deletedIds = new Set<string>();
  private watermark = 0;
  private readonly seenAbove = new Set<number>();
  private syncing = false;
  private buffered: TodoChange[] = [];
  private syncedOnce = false;
  /** `list()` as last sorted, until the todos change. */
  private sorted: Todo[] | null = null;

  constructor(private readonly onLiveEvent?: LiveEventListener) {}

  /** Every change up to this number is reflected here: the `since` of the next sync. */
  get lastSeq(): number {
    return this.watermark;
  }

  get isSyncing(): boolean {
    return this.syncing;
  }

  get hasSynced(): boolean {
    return this.syncedOnce;
  }

  /** In creation order. Ids alone only order by the second across instances, so time comes first. */
  list(): Todo[] {
    this.sorted ??= [...this.todos.values()].sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
    return [...this.sorted];
  }

  get(id: string): Todo | undefined {
    return this.todos.get(id);
  }

  /** Stores `todo` unless it was deleted or we already hold this version or a newer one. */
  applyTodo(todo: Todo): boolean {
    if (this.deletedIds.has(todo.id)) return false;
    const known = this.todos.get(todo.id);
    if (known && known.version >= todo.version) return false;
    this.todos.set(todo.id, todo);
    this.sorted = null;
    return true;
  }

  /** Whether the server said this todo was deleted (ids are never reused). */
  isDeleted(id: string): boolean {
    return this.deletedIds.has(id);
  }

  applyDeletion(id: string): boolean {
    this.deletedIds.add(id);
    if (!this.todos.delete(id)) return false;
    this.sorted = null;
    return true;
  }

  /** Some seq above `lastSeq` has been seen while the one right after `lastSeq` has not. */
  get hasGap(): boolean {
    return this.seenAbove.size > 0;
  }

  /** Whether this seq has been applied already (a live event for it again is a repeat). */
  hasSeen(seq: number): boolean {
    return seq <= this.watermark || this.seenAbove.has(seq);
  }

  /** A live `todo:*` event; false when it was a repeat of a seq already applied, and dropped. */
  receive(event: TodoChange): boolean {
    if (this.syncing) {
      this.buffered.push(event);
      return true;
    }
    if (this.hasSeen(event.seq)) {
      this.onLiveEvent?.(event, false);
      return false;
    }
    this.applyChange(event);
    this.see(event.seq);
    this.onLiveEvent?.(event, true);
    return true;
  }

  /** A first paint (a snapshot kept from the last run), used only until the first sync answer. */
  seed(todos: readonly Todo[]): void {
    if (this.syncedOnce) return;
    for (const todo of todos) this.applyTodo(todo);
  }

  /** The state kept from an earlier run: the next sync asks for what came after its `lastSeq`. */
  restore(snapshot: ReplicaSnapshot): void {
    this.sorted = null;
    this.todos.clear();
    for (const todo of snapshot.todos) this.todos.set(todo.id, todo);
    this.watermark = snapshot.lastSeq;
    this.seenAbove.clear();
  }

  snapshot(): ReplicaSnapshot {
    return { lastSeq: this.watermark, todos: this.list() };
  }

  /** Starts a sync: events are buffered from now on. Returns the `since` to send. */
  beginSync(): number {
    this.syncing = true;
    return this.watermark;
  }

  completeSync(result: SyncResult): void {
    if (result.reset) {
      this.sorted = null;
      this.todos.clear();
      for (const todo of result.todos) this.todos.set(todo.id, todo);
      // Even when lower: the server's history restarted, and its numbers are the ones that count.
      this.watermark = result.seq;
      this.seenAbove.clear();
    } else {
      for (const change of result.changes) this.applyChange(change);
      this.advanceTo(result.seq);
    }
    this.syncedOnce = true;
    this.flushBuffer();
  }

  /** The sync will never be answered (disconnected, timed out): apply what was buffered. */
  abandonSync(): void {
    if (this.syncing) this.flushBuffer();
  }

  private flushBuffer(): void {
    this.syncing = false;
    const events = this.buffered;
    this.buffered = [];
    for (const event of events) {
      if (this.hasSeen(event.seq)) {
        this.onLiveEvent?.(event, false);
        continue;
      }
      this.applyChange(event);
      this.see(event.seq);
      this.onLiveEvent?.(event, true);
    }
  }

  private applyChange(change: TodoChange): boolean {
    return change.type === 'todo:deleted' ? this.applyDeletion(change.id) : this.applyTodo(change.todo);
  }

  private see(seq: number): void {
    if (seq <= this.watermark) return;
    this.seenAbove.add(seq);
    while (this.seenAbove.delete(this.watermark + 1)) this.watermark++;
  }

  private advanceTo(seq: number): void {
    if (seq > this.watermark) this.watermark = seq;
    for (const s of this.seenAbove) if (s <= this.watermark) this.seenAbove.delete(s);
    while (this.seenAbove.delete(this.watermark + 1)) this.watermark++;
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
