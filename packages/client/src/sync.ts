import { SYNC_GAP_GRACE_MS, SYNC_HINT_JITTER_MS, type SyncResult, type TodoChange } from '@cobalt/contract';
import type { Connection } from './connection.js';
import { fromErrorBody } from './errors.js';
import type { TodoReplica } from './replica.js';
import type { ServerEvent } from './transport.js';

/** Why a `sync` was sent. */
export type SyncReason = 'connect' | 'hint' | 'gap' | 'retry';

export interface SyncHooks {
  /** A sync answer was applied. */
  synced(info: { reason: SyncReason; since: number; result: SyncResult }): void;
  /** A change arrived, live or in a sync answer, and is in the replica (or was a repeat). */
  changed(change: TodoChange, source: 'live' | 'sync'): void;
  /** The server hinted that live events may have been missed (`sync:required`). */
  hinted(): void;
}

export interface SyncOptions {
  timeoutMs: number;
  /** Pause before a sync that failed is asked again, while connected. */
  retryMs?: number;
  random?: () => number;
}

/**
 * Feeds a replica from the live connection (docs/API.md, the client algorithm): `todo:*` events as
 * they come, and `sync {since}` after every connection (events arriving meanwhile are buffered by
 * the replica). A sync that fails or times out is asked again while connected. `sync:required`
 * asks for one sync after a random pause (hints arriving meanwhile fold into it), and so does a
 * seq that stays skipped for SYNC_GAP_GRACE_MS.
 */
export class TodoSync {
  private generation = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private hinted: ReturnType<typeof setTimeout> | undefined;
  private gapCheck: ReturnType<typeof setTimeout> | undefined;
  private unbind: (() => void)[] = [];

  constructor(
    private readonly replica: TodoReplica,
    private readonly connection: Pick<Connection, 'events' | 'isReady' | 'live'>,
    private readonly hooks: SyncHooks,
    private readonly options: SyncOptions,
  ) {}

  start(): void {
    this.unbind = [
      this.connection.events.on('ready', () => this.sync('connect')),
      this.connection.events.on('lost', () => this.onLost()),
      this.connection.events.on('event', (event) => this.onEvent(event)),
    ];
    if (this.connection.isReady) this.sync('connect');
  }

  stop(): void {
    this.generation++;
    this.cancelPending();
    for (const off of this.unbind) off();
    this.unbind = [];
    this.replica.abandonSync();
  }

  /** Asks the server what changed since the replica's `lastSeq`. */
  sync(reason: SyncReason): void {
    const transport = this.connection.live;
    if (!transport || !this.connection.isReady) return;
    const mine = ++this.generation;
    this.cancelPending();
    const since = this.replica.beginSync();
    transport
      .request('sync', { since }, this.options.timeoutMs)
      .then((answer) => {
        if (mine !== this.generation) return;
        if ('error' in answer) throw fromErrorBody(answer.error);
        this.replica.completeSync(answer.data);
        if (!answer.data.reset) for (const change of answer.data.changes) this.hooks.changed(change, 'sync');
        this.hooks.synced({ reason, since, result: answer.data });
        this.watchForGap();
      })
      .catch(() => {
        if (mine !== this.generation) return;
        this.replica.abandonSync();
        if (this.connection.isReady) this.retry = setTimeout(() => this.sync('retry'), this.options.retryMs ?? 1_000);
      });
  }

  private onLost(): void {
    this.generation++; // an answer can no longer come on this connection
    this.cancelPending();
    this.replica.abandonSync();
  }

  private onEvent(event: ServerEvent): void {
    switch (event.name) {
      case 'todo:created':
      case 'todo:updated':
        return this.receive({ type: event.name, ...event.payload });
      case 'todo:deleted':
        return this.receive({ type: 'todo:deleted', ...event.payload });
      case 'sync:required':
        this.hooks.hinted();
        // Hints arriving while one is already scheduled are folded into it.
        if (this.hinted === undefined) this.hinted = setTimeout(() => this.sync('hint'), (this.options.random ?? Math.random)() * SYNC_HINT_JITTER_MS);
        return;
      default:
        return;
    }
  }

  private receive(change: TodoChange): void {
    this.replica.receive(change);
    this.hooks.changed(change, 'live');
    this.watchForGap();
  }

  // A skipped seq usually arrives a moment later (events of one user come from several
  // instances); if it has not within the grace period, a change was missed: sync.
  private watchForGap(): void {
    if (this.gapCheck !== undefined || !this.replica.hasGap) return;
    this.gapCheck = setTimeout(() => {
      this.gapCheck = undefined;
      if (this.replica.hasGap && !this.replica.isSyncing) this.sync('gap');
    }, SYNC_GAP_GRACE_MS);
  }

  /** No retry, no hinted sync and no gap check pending any more. */
  private cancelPending(): void {
    clearTimeout(this.retry);
    clearTimeout(this.hinted);
    clearTimeout(this.gapCheck);
    this.hinted = undefined;
    this.gapCheck = undefined;
  }
}
