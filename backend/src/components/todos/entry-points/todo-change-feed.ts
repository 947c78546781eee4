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
  /** Every seq up to here was sent, or covered by what was sent. */
  private floor = 0;
  private readonly noted = new Set<number>();
  /** Live changes held while a catch-up runs. */
  private held: TodoChange[] | null = [];
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly out: { send(event: TodoChangeEvent): void; fail(error: unknown): void },
    private readonly read: { sync(since: number): Promise<SyncResult>; latestSeq(): Promise<number> },
  ) {}

  /** Starts the feed: from `since` when given, otherwise from the head of the log (live changes only). */
  start(since: number | undefined): void {
    this.exclusive(async () => {
      if (since === undefined) this.floor = await this.read.latestSeq();
      else this.apply(since, await this.read.sync(since));
    });
  }

  /** Catches up from what was sent, after live changes may have been lost. */
  resume(): void {
    this.held ??= [];
    this.exclusive(async () => this.apply(this.floor, await this.read.sync(this.floor)));
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
    this.floor = Math.max(this.floor, since);
    for (const change of result.changes) this.send(change);
    this.floor = Math.max(this.floor, result.seq);
    for (const seq of this.noted) if (seq <= this.floor) this.noted.delete(seq);
    this.advance();
  }

  private send(change: TodoChange): void {
    if (change.seq <= this.floor || this.noted.has(change.seq)) return;
    this.noted.add(change.seq);
    this.advance();
    this.out.send(toEvent(change));
  }

  private advance(): void {
    while (this.noted.delete(this.floor + 1)) this.floor++;
    if (this.noted.size > MAX_NOTED) {
      this.floor = Math.min(...this.noted);
      this.noted.delete(this.floor);
      this.advance();
    }
  }
}
