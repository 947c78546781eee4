import type { AckResult, Todo } from '@cobalt/contract';
import { backoffDelay } from './backoff.js';
import type { Connection } from './connection.js';
import { CobaltError, fromErrorBody, isRetryable } from './errors.js';
import type { Mutation, Outbox } from './outbox.js';

/** How the server answered a mutation, once and for all. */
export type MutationOutcome =
  /** Applied (now or by an earlier attempt). `todo` is its state from the ack, when the ack brought one. */
  | { type: 'confirmed'; mutation: Mutation; via: 'ack' | 'event' | 'sync'; todo?: Todo }
  /** The todo is gone: an update made here to a todo deleted on another device (conflict rule 1). */
  | { type: 'conflict'; mutation: Mutation; rule: 'deleted-elsewhere'; error: CobaltError }
  /** Refused for good (the input broke a rule): dropped. */
  | { type: 'rejected'; mutation: Mutation; error: CobaltError };

export interface SenderHooks {
  /** The server's final answer to `mutation`: remove it and apply what it says. */
  settle(outcome: MutationOutcome): void;
  /** A mutation goes out (`attempt` 1 is the first time). */
  sent?(info: { mutation: Mutation; attempt: number }): void;
  /** It will be sent again with the same id after `delayMs` (or after the next connection, when `delayMs` is null). */
  retrying?(info: { mutation: Mutation; error: CobaltError; attempt: number; delayMs: number | null }): void;
}

export interface SenderOptions {
  ackTimeoutMs?: number;
  /** Mutations in flight at once (each todo has at most one). */
  maxInFlight?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  random?: () => number;
  now?: () => number;
}

type Plan = 'retry' | 'refresh' | 'conflict' | 'done' | 'reject';

/** What a client does with a refused mutation. Retrying is always safe: the id makes it apply once. */
function planFor(mutation: Mutation, error: CobaltError): Plan {
  // "Still running" (a CONFLICT while an earlier attempt holds the key) is retried too; any other
  // CONFLICT cannot happen with the same request under the same id, so it is a refusal.
  if (isRetryable(error)) return 'retry';
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return 'refresh';
    case 'NOT_FOUND':
      if (mutation.kind === 'delete') return 'done'; // gone already: what we wanted
      return mutation.kind === 'update' ? 'conflict' : 'reject';
    default:
      return 'reject';
  }
}

function request(transport: NonNullable<Connection['live']>, mutation: Mutation, timeoutMs: number): Promise<AckResult<Todo | { id: string }>> {
  switch (mutation.kind) {
    case 'create':
      return transport.request('todo:create', { title: mutation.title, clientMutationId: mutation.id }, timeoutMs);
    case 'update':
      return transport.request('todo:update', { id: mutation.todoId, ...mutation.patch, clientMutationId: mutation.id }, timeoutMs);
    case 'delete':
      return transport.request('todo:delete', { id: mutation.todoId, clientMutationId: mutation.id }, timeoutMs);
  }
}

/**
 * Sends the outbox over the live connection: in order per todo (a todo's next change goes out
 * once the server has answered the one before), several todos at once, each mutation with its own
 * id and the same id on every attempt, until the server answers it. Only one client per device
 * sends (the leader); it is enabled once the connection has synced.
 */
export class OutboxSender {
  private enabled = false;
  private readonly inFlight = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly notBefore = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly outbox: Outbox,
    private readonly connection: Pick<Connection, 'live' | 'isReady'>,
    private readonly refresh: () => Promise<unknown>,
    private readonly hooks: SenderHooks,
    private readonly options: SenderOptions = {},
  ) {
    this.unsubscribe = outbox.onChange(() => this.pump());
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** On: the connection is up and synced, and this client leads. Off: any of these stopped. */
  setEnabled(on: boolean): void {
    if (on === this.enabled) return;
    this.enabled = on;
    clearTimeout(this.timer);
    // A new connection is a fresh start: what waited for the network goes out at once.
    if (on) this.notBefore.clear();
    this.pump();
  }

  close(): void {
    this.enabled = false;
    clearTimeout(this.timer);
    this.unsubscribe();
  }

  pump(): void {
    const transport = this.connection.live;
    if (!this.enabled || !transport || !this.connection.isReady) return;
    const maxInFlight = this.options.maxInFlight ?? 8;
    const now = this.now();
    const busyTodos = new Set<string>();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const mutation of this.outbox.pending) {
      if (this.inFlight.size >= maxInFlight) break;
      // An earlier change to this todo is still unanswered: this one waits its turn.
      if (busyTodos.has(mutation.todoId)) continue;
      busyTodos.add(mutation.todoId);
      if (this.inFlight.has(mutation.id)) continue;
      const at = this.notBefore.get(mutation.id) ?? 0;
      if (at > now) {
        wakeAt = Math.min(wakeAt, at);
        continue;
      }
      void this.send(transport, mutation);
    }
    clearTimeout(this.timer);
    if (wakeAt !== Number.POSITIVE_INFINITY) this.timer = setTimeout(() => this.pump(), wakeAt - now);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async send(transport: NonNullable<Connection['live']>, mutation: Mutation): Promise<void> {
    const attempt = (this.attempts.get(mutation.id) ?? 0) + 1;
    this.attempts.set(mutation.id, attempt);
    this.inFlight.add(mutation.id);
    this.hooks.sent?.({ mutation, attempt });
    let answer: AckResult<Todo | { id: string }> | null = null;
    let failure: CobaltError | null = null;
    try {
      answer = await request(transport, mutation, this.options.ackTimeoutMs ?? 10_000);
    } catch (error) {
      // No answer (timeout, or the connection dropped): the server may or may not have applied it.
      failure = new CobaltError('NETWORK', error instanceof Error ? error.message : 'No answer', { cause: error });
    } finally {
      this.inFlight.delete(mutation.id);
    }
    // Confirmed meanwhile by its event, by a sync, or by another client of the device.
    if (!this.outbox.has(mutation.id)) return this.done(mutation);
    if (answer && 'data' in answer) {
      const todo = mutation.kind === 'delete' ? undefined : (answer.data as Todo);
      this.hooks.settle({ type: 'confirmed', mutation, via: 'ack', todo });
      return this.done(mutation);
    }
    const error = failure ?? fromErrorBody((answer as { error: Parameters<typeof fromErrorBody>[0] }).error);
    const plan = planFor(mutation, error);
    switch (plan) {
      case 'done':
        this.hooks.settle({ type: 'confirmed', mutation, via: 'ack' });
        return this.done(mutation);
      case 'conflict':
        this.hooks.settle({ type: 'conflict', mutation, rule: 'deleted-elsewhere', error });
        return this.done(mutation);
      case 'reject':
        this.hooks.settle({ type: 'rejected', mutation, error });
        return this.done(mutation);
      case 'refresh': {
        // A fresh token first; the back-off still applies, so a server that keeps refusing is not hammered.
        const delayMs = this.backoff(attempt);
        this.notBefore.set(mutation.id, this.now() + delayMs);
        this.hooks.retrying?.({ mutation, error, attempt, delayMs });
        await this.refresh().catch(() => undefined);
        return this.pump();
      }
      case 'retry': {
        if (!this.connection.isReady) {
          // Goes out again after the next connection's sync.
          this.hooks.retrying?.({ mutation, error, attempt, delayMs: null });
          return;
        }
        const delayMs = this.backoff(attempt, error.options.retryAfterSeconds);
        this.notBefore.set(mutation.id, this.now() + delayMs);
        this.hooks.retrying?.({ mutation, error, attempt, delayMs });
        return this.pump();
      }
    }
  }

  private done(mutation: Mutation): void {
    this.attempts.delete(mutation.id);
    this.notBefore.delete(mutation.id);
    this.pump();
  }

  /** Equal jitter: half the exponential step fixed, half random; never sooner than the server asked. */
  private backoff(attempt: number, retryAfterSeconds?: number): number {
    const { retryBaseMs = 500, retryMaxMs = 30_000, random } = this.options;
    return Math.max(backoffDelay(attempt - 1, { baseMs: retryBaseMs, maxMs: retryMaxMs, random }), (retryAfterSeconds ?? 0) * 1000);
  }
}
