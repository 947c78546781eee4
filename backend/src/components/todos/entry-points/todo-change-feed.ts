import type { SyncResult, Todo, TodoChange } from '@cobalt/contract';

/** One event of `Subscription.todoChanges`, before the todos get their owner. */
export type TodoChangeEvent =
  | { type: 'CREATED' | 'UPDATED'; seq: number; id: string; todo: Todo; clientMutationId: string | null }
  | { type: 'DELETED'; seq: number; id: string; clientMutationId: string | null }
  | { type: 'RESET'; seq: number; todos: Todo[] };

const TYPES = { 'todo:created': 'CREATED', 'todo:updated': 'UPDATED', 'todo:deleted': 'DELETED' } as const;

function toEvent(change: TodoChange): TodoChangeEvent {
  const clientMutationId = change.clientMutationId ?? null;
  if (change.type === 'todo:deleted') return { type: 'DELETED', seq: change.seq, id: change.id, clientMutationId };
  return { type: TYPES[change.type], seq: change.seq, id: change.todo.id, todo: change.todo, clientMutationId };
}

/** Seqs above the floor remembered at most; beyond it the floor moves up over a gap that never closed. */
const MAX_NOTED = 1024;

/**
 * One subscriber's stream of todo changes: what it missed (by the rules of `sync`, the same use
 * case Socket.IO's `sync` runs) followed by the live changes, each seq once. It is the client
 * algorithm's rules 3 and 4 kept on the server, so that a GraphQL subscriber needs none of them:
 *
 * - live changes that arrive while a catch-up runs are held, then sent unless the catch-up covered
 *   them (a seq at or below its answer's `seq`, or one it sent), so nothing falls between the two;
 * - a seq once sent is never sent again (a change can be announced more than once);
 * - a catch-up can run again later from what was sent (a Redis link was down: `resume`).
 */
export class TodoChangeFeed {
  /** Every seq up to here was sent, or covered by what was sent; null until a catch-up set it (live only). */
  private floor: number | null = null;
  private readonly noted = new Set<number>();
  /** Live changes held while a catch-up runs. */
  private held: TodoChange[] | null = [];
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly out: { send(event: TodoChangeEvent): void; fail(error: unknown): void },
    private readonly read: { sync(since: number): Promise<SyncResult> },
  ) {}

  /** Starts the feed: from `since` when given, otherwise with the changes announced from now on (live only). */
  start(since: number | undefined): void {
    if (since === undefined) this.held = null;
    else this.exclusive(async () => this.apply(since, await this.read.sync(since)));
  }

  /**
   * Catches up from what was sent, after live changes may have been lost. A live-only feed that
   * has sent nothing yet knows no seq to start from: it gets the full state (a RESET).
   */
  resume(): void {
    this.held ??= [];
    const since = this.floor ?? (this.noted.size ? Math.min(...this.noted) - 1 : Number.MAX_SAFE_INTEGER);
    this.exclusive(async () => this.apply(since, await this.read.sync(since)));
  }

  live(change: TodoChange): void {
    if (this.held) this.held.push(change);
    else this.send(change);
  }

  /** Runs catch-ups one at a time; live changes are held until the last one is done. */
  private exclusive(task: () => Promise<void>): void {
    this.turn = this.turn.then(async () => {
      this.held ??= [];
      try {
        await task();
      } catch (error) {
        this.out.fail(error);
        return;
      }
      const held = this.held;
      this.held = null;
      for (const change of held) this.send(change);
    });
  }

  private apply(since: number, result: SyncResult): void {
    if (result.reset) {
      this.floor = result.seq;
      this.noted.clear();
      this.out.send({ type: 'RESET', seq: result.seq, todos: result.todos });
      return;
    }
    this.floor = Math.max(this.floor ?? 0, since);
    for (const change of result.changes) this.send(change);
    this.floor = Math.max(this.floor, result.seq);
    for (const seq of this.noted) if (seq <= this.floor) this.noted.delete(seq);
    this.advance();
  }

  private send(change: TodoChange): void {
    if ((this.floor !== null && change.seq <= this.floor) || this.noted.has(change.seq)) return;
    this.noted.add(change.seq);
    this.advance();
    this.out.send(toEvent(change));
  }

  private advance(): void {
    if (this.floor !== null) while (this.noted.delete(this.floor + 1)) this.floor++;
    if (this.noted.size > MAX_NOTED) {
      this.floor = Math.min(...this.noted);
      this.noted.delete(this.floor);
      this.advance();
    }
  }
}
