import { backoffDelay, CobaltError, createCobaltClient, isRetryable, socketIoTransport, type CobaltClient, type FetchLike, type SettledMutation } from '@cobalt/client';
import type { Todo } from '@cobalt/contract';
import type { Channel, Ledger, WriteOp, WriteRecord } from './ledger.js';

/**
 * Simulated devices for the fault suite, each one a `@cobalt/client` of its own (in memory: the
 * suite restarts servers, not devices). The SDK does the protocol: sockets connect, sync after
 * every (re)connect and keep each write in the outbox, retried with the same `clientMutationId`
 * until the server answers. The suite keeps its own accounts around it: the ledger records each
 * write, every attempt the SDK reports, and the answer that settled it (confirmed by id, or
 * rejected with its code); the socket devices count what arrived live, their syncs and reconnects.
 *
 * HTTP-only devices have no SDK layer for todos over REST or GraphQL: they are a thin writer over
 * the SDK's authenticated `request` (token renewed on 401, errors normalised to `CobaltError`),
 * retrying with the same `Idempotency-Key` / `clientMutationId` and the SDK's back-off.
 *
 * A client only changes todos it created itself, and one write at a time, so the expected state of
 * every todo follows from the acknowledgements alone and any rejection is a real error.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retries of writes and handshakes: as the old suite's clients, quicker than the SDK's defaults for apps. */
const RETRY = { baseMs: 250, maxMs: 5000 };

interface OwnedTodo {
  key: string;
  id?: string;
  alive: boolean;
  completed: boolean;
  revision: number;
  /** A write on it was rejected or never acknowledged: its state is unknown, leave it alone. */
  uncertain: boolean;
}

/** Shared between the load generator and its clients. */
export interface LoadControl {
  running: boolean;
  /** Pending writes stop retrying after this time (when the load is being drained). */
  giveUpAt: number;
  runTag: string;
}

/** How a device signs in: registers the user (its first device) or signs in to it. */
export interface Account {
  email: string;
  password: string;
  name: string;
  register: boolean;
}

export abstract class SimClient {
  readonly owned = new Map<string, OwnedTodo>();
  /** When the attempt now waiting for its answer was sent (undefined when none is). */
  attemptSentAt?: number;
  userId = '';
  private counter = 0;

  constructor(
    readonly id: string,
    readonly client: CobaltClient,
    protected readonly ledger: Ledger,
    protected readonly control: LoadControl,
  ) {}

  close(): void {
    void this.client.stop();
  }

  async signIn(account: Account): Promise<void> {
    const { email, password, name } = account;
    const user = account.register ? await this.client.register({ email, password, name }) : await this.client.signIn({ email, password });
    this.userId = user.id;
  }

  /** Runs steps separated by think time until the load stops. */
  async run(thinkMs: () => number): Promise<void> {
    await sleep(Math.random() * thinkMs());
    while (this.control.running) {
      await this.step();
      await sleep(thinkMs());
    }
  }

  /** One unit of load: a write on one of this client's todos. */
  async step(): Promise<void> {
    const live = [...this.owned.values()].filter((t) => t.alive && !t.uncertain && t.id);
    const r = Math.random();
    if (live.length < 2 || (r < 0.4 && live.length < 6)) return this.create();
    const todo = live[Math.floor(Math.random() * live.length)]!;
    if (r < 0.85) return this.update(todo);
    return this.remove(todo);
  }

  protected abstract channel(op: WriteOp): Channel;
  /** Sends the write (retried with its key) and fills in `outcome`, `acked` and `failures`. */
  protected abstract perform(record: WriteRecord): Promise<void>;

  private nextKey(): string {
    return `${this.control.runTag}.${this.id}.${++this.counter}`;
  }

  private async create(): Promise<void> {
    const key = this.nextKey();
    const todo: OwnedTodo = { key, alive: false, completed: false, revision: 0, uncertain: false };
    this.owned.set(key, todo);
    const record = this.ledger.begin({ key, clientId: this.id, userId: this.userId, op: 'create', via: this.channel('create'), todoKey: key, intent: { title: key } });
    await this.perform(record);
    if (record.outcome === 'acked' && record.acked) {
      todo.id = record.todoId = record.acked.id;
      todo.alive = true;
    } else todo.uncertain = true;
  }

  private async update(todo: OwnedTodo): Promise<void> {
    const intent = Math.random() < 0.5 ? { completed: !todo.completed } : { title: `${todo.key} r${todo.revision + 1}` };
    const record = this.ledger.begin({
      key: this.nextKey(),
      clientId: this.id,
      userId: this.userId,
      op: 'update',
      via: this.channel('update'),
      todoKey: todo.key,
      todoId: todo.id,
      intent,
    });
    await this.perform(record);
    if (record.outcome !== 'acked') todo.uncertain = true;
    else if (intent.completed !== undefined) todo.completed = intent.completed;
    else todo.revision++;
  }

  private async remove(todo: OwnedTodo): Promise<void> {
    const record = this.ledger.begin({
      key: this.nextKey(),
      clientId: this.id,
      userId: this.userId,
      op: 'delete',
      via: this.channel('delete'),
      todoKey: todo.key,
      todoId: todo.id,
      intent: {},
    });
    await this.perform(record);
    if (record.outcome === 'acked') todo.alive = false;
    else todo.uncertain = true;
  }

  /** Records one failed attempt (sent at `at`) and what came back instead of an answer. */
  protected failed(record: WriteRecord, at: number, status: number, code: string): void {
    record.failures.push({ via: record.via, at, ms: Date.now() - at, status, code });
    record.lastError = `${status || ''} ${code}`.trim();
  }

  protected acknowledged(record: WriteRecord, todo?: Todo): void {
    record.outcome = 'acked';
    record.ackedAt = Date.now();
    record.acked = todo;
  }
}

// ---------------------------------------------------------------------------------------------
// Socket.IO device: the SDK's live connection, replica and outbox

export interface Reconnect {
  clientId: string;
  from?: string;
  reason: string;
  at: number;
  helloAt?: number;
  to?: string;
  syncedAt?: number;
}

/** What a socket failure looks like in the figures: the server's code, or what happened to the request. */
function socketFailure(error: CobaltError): string {
  if (error.code !== 'NETWORK') return error.code;
  return /disconnected/.test(error.message) ? 'disconnected' : 'ack timeout';
}

export class SocketSimClient extends SimClient {
  readonly reconnects: Reconnect[] = [];
  readonly connectErrors = new Map<string, number>();
  instanceId?: string;
  /** Events for a seq the replica had already applied (the server may announce a change again): dropped. */
  repeatedEvents = 0;
  /** The same seq heard for two different changes: the log gave one number out twice. Must stay 0. */
  seqConflicts = 0;
  /** Syncs answered that were sent because a skipped seq did not arrive within SYNC_GAP_GRACE_MS. */
  gapSyncs = 0;
  eventsReceived = 0;
  syncs = 0;
  /** `sync:required` hints received. */
  syncHints = 0;
  resets = 0;
  /** What each seq heard live was about (type and todo), to tell a repeat from a conflict. */
  private readonly heard = new Map<number, string>();
  /** Changes the SDK kept and queued so far. */
  private queuedCount = 0;
  private pendingReconnect?: Reconnect;
  private open = false;
  /** The `clientMutationId` the SDK takes for the next change: the ledger's key. */
  private readonly keys: { next?: string };
  /** Writes waiting for the SDK's final answer, by key. */
  private readonly waiting = new Map<string, { record: WriteRecord; sentAt?: number; settle: (outcome: SettledMutation) => void }>();

  constructor(
    id: string,
    baseUrl: string,
    ledger: Ledger,
    control: LoadControl,
    readonly transport: 'websocket' | 'polling',
    ackTimeoutMs = 8000,
  ) {
    const keys: { next?: string } = {};
    const client = createCobaltClient({
      baseUrl,
      device: id,
      // One transport per device (`forceNew`: no manager shared between devices); in Node,
      // `withCredentials` (the SDK's default) keeps Caddy's affinity cookie for polling.
      transport: socketIoTransport({ transports: [transport], forceNew: true, timeout: 5000 }),
      // Every change the suite makes names its key first (perform): the ledger's key is the clientMutationId.
      randomId: () => keys.next ?? `${control.runTag}.${id}.sdk-${Math.random().toString(36).slice(2)}`,
      outbox: { ackTimeoutMs, retryBaseMs: RETRY.baseMs, retryMaxMs: RETRY.maxMs },
      reconnect: { minMs: 1000, maxMs: 8000 },
    });
    super(id, client, ledger, control);
    this.keys = keys;
    this.account();
  }

  protected channel(): Channel {
    return 'socket';
  }

  get connected(): boolean {
    return this.client.connection.isReady;
  }

  /** Starts the SDK client and signs in: it connects and syncs from then on. */
  override async signIn(account: Account): Promise<void> {
    this.open = true;
    await this.client.start();
    await super.signIn(account);
  }

  /** Resolves after the first sync answer. */
  async connect(timeoutMs = 15_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.id}: no first sync within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([this.client.todos.whenSynced(), late]).finally(() => clearTimeout(timer));
  }

  override close(): void {
    this.open = false;
    super.close();
  }

  /** The todos as this device shows them, for the convergence check. */
  todos(): Todo[] {
    return this.client.todos.list().map(({ pending: _pending, ...todo }) => todo);
  }

  protected async perform(record: WriteRecord): Promise<void> {
    const outcome = new Promise<SettledMutation>((settle) => this.waiting.set(record.key, { record, settle }));
    this.keys.next = record.key;
    const queued = this.queuedCount;
    try {
      if (record.op === 'create') await this.client.todos.create(record.intent.title!);
      else if (record.op === 'update') await this.client.todos.update(record.todoId!, record.intent);
      else await this.client.todos.remove(record.todoId!);
    } catch (error) {
      // Refused before it was kept (no such todo shown, bad title, storage): nothing was sent.
      this.waiting.delete(record.key);
      record.outcome = 'rejected';
      record.lastError = error instanceof CobaltError ? error.code : String(error);
      return;
    } finally {
      this.keys.next = undefined;
    }
    if (this.queuedCount === queued) {
      // The SDK queued nothing: what the suite asked for is what the device shows already, so its accounts went wrong.
      this.waiting.delete(record.key);
      record.outcome = 'rejected';
      record.lastError = 'nothing to send: the device already shows this';
      return;
    }
    const settled = await this.untilGivenUp(outcome);
    this.waiting.delete(record.key);
    this.attemptSentAt = undefined;
    if (!settled) record.outcome = 'unresolved';
    else if (settled.type === 'confirmed') this.acknowledged(record, settled.todo);
    else {
      record.outcome = 'rejected';
      record.lastError = settled.type === 'conflict' ? `CONFLICT ${settled.rule}` : settled.error.code;
    }
  }

  /** The SDK's answer, or undefined once the drain deadline passed without one. */
  private async untilGivenUp(outcome: Promise<SettledMutation>): Promise<SettledMutation | undefined> {
    for (;;) {
      const left = this.control.giveUpAt - Date.now();
      if (left <= 0) return undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([
        outcome,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), Math.min(left, 1000));
        }),
      ]);
      clearTimeout(timer);
      if (result) return result;
    }
  }

  /** The suite's accounts, from what the SDK reports. */
  private account(): void {
    const { client } = this;
    client.on('queued', () => this.queuedCount++);
    client.on('sent', ({ mutation, attempt }) => {
      const w = this.waiting.get(mutation.id);
      if (!w) return;
      w.record.attempts = attempt;
      w.sentAt = this.attemptSentAt = Date.now();
    });
    client.on('retrying', ({ mutation, error }) => {
      const w = this.waiting.get(mutation.id);
      if (!w) return;
      this.failed(w.record, w.sentAt ?? Date.now(), 0, socketFailure(error));
      this.attemptSentAt = undefined;
    });
    client.on('settled', (outcome) => this.waiting.get(outcome.mutation.id)?.settle(outcome));
    client.on('live-event', ({ event, fresh }) => {
      this.eventsReceived++;
      if (!fresh) this.repeatedEvents++;
      const about = event.type === 'todo:deleted' ? `deleted ${event.id}` : `changed ${event.todo.id}`;
      const before = this.heard.get(event.seq);
      if (before !== undefined && before !== about) this.seqConflicts++;
      this.heard.set(event.seq, about);
    });
    client.on('hinted', () => this.syncHints++);
    client.on('synced', ({ reason, reset }) => {
      this.syncs++;
      if (reset) this.resets++;
      if (reason === 'gap') this.gapSyncs++;
      if (this.pendingReconnect && !this.pendingReconnect.syncedAt) {
        this.pendingReconnect.syncedAt = Date.now();
        this.pendingReconnect = undefined;
      }
    });
    const events = client.connection.events;
    events.on('ready', ({ instanceId }) => {
      this.instanceId = instanceId;
      if (this.pendingReconnect && !this.pendingReconnect.helloAt) Object.assign(this.pendingReconnect, { helloAt: Date.now(), to: instanceId });
    });
    events.on('lost', ({ reason }) => {
      if (!this.open) return;
      this.pendingReconnect = { clientId: this.id, from: this.instanceId, reason, at: Date.now() };
      this.reconnects.push(this.pendingReconnect);
    });
    events.on('failed', ({ code }) => {
      const key = code ?? 'transport';
      this.connectErrors.set(key, (this.connectErrors.get(key) ?? 0) + 1);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP device (REST and GraphQL): a thin writer over the SDK's authenticated requests

const TODO_FIELDS = 'id title completed createdAt updatedAt version';
const MUTATIONS = {
  create: `mutation($title: String!, $key: String) { createTodo(title: $title, clientMutationId: $key) { ${TODO_FIELDS} } }`,
  update: `mutation($id: ID!, $title: String, $completed: Boolean, $key: String) { updateTodo(id: $id, title: $title, completed: $completed, clientMutationId: $key) { ${TODO_FIELDS} } }`,
  delete: `mutation($id: ID!, $key: String) { deleteTodo(id: $id, clientMutationId: $key) }`,
};

type GraphqlAnswer = { data?: Record<string, unknown> | null; errors?: { message?: string; extensions?: { code?: string } }[] };

/** A GraphQL answer with errors (HTTP 200, the code in `extensions`) as the error it reports. */
function graphqlResult<T>(answer: GraphqlAnswer, field: string): T {
  const first = answer.errors?.[0];
  if (first) throw new CobaltError((first.extensions?.code ?? 'INTERNAL') as 'INTERNAL', first.message ?? 'GraphQL error', { status: 200 });
  return answer.data?.[field] as T;
}

export class HttpSimClient extends SimClient {
  private writes = 0;
  /** Whether the last answer came from Caddy itself (no `X-Instance-Id`: no backend took the request). */
  private readonly last: { fromProxy: boolean };

  constructor(id: string, baseUrl: string, ledger: Ledger, control: LoadControl, timeoutMs = 10_000) {
    // One request at a time per device, so "the last answer" is the one a failure is about.
    const last = { fromProxy: false };
    const observed: FetchLike = async (input, init) => {
      last.fromProxy = false;
      const res = await fetch(input, { ...init, signal: AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)].filter((s): s is AbortSignal => !!s)) });
      last.fromProxy = res.headers.get('x-instance-id') === null;
      return res;
    };
    super(id, createCobaltClient({ baseUrl, device: id, fetch: observed }), ledger, control);
    this.last = last;
  }

  /** REST and GraphQL writes alternate. */
  protected channel(): Channel {
    return this.writes++ % 2 === 0 ? 'rest' : 'graphql';
  }

  /** A quarter of the steps are reads (a page of todos, REST or GraphQL). */
  override async step(): Promise<void> {
    if (Math.random() < 0.25) return this.read();
    return super.step();
  }

  private async read(): Promise<void> {
    const at = Date.now();
    const graphql = Math.random() < 0.5;
    try {
      if (graphql)
        graphqlResult(
          await this.client.request<GraphqlAnswer>('/graphql', { method: 'POST', body: { query: `query { todos(limit: 50) { items { ${TODO_FIELDS} } nextCursor } }` } }),
          'todos',
        );
      else await this.client.request('/api/todos?limit=50');
      this.ledger.reads.push({ at, ms: Date.now() - at, ok: true, status: 200, code: 'ok' });
    } catch (error) {
      const { status, code } = this.describe(error);
      this.ledger.reads.push({ at, ms: Date.now() - at, ok: false, status, code });
    }
  }

  protected async perform(record: WriteRecord): Promise<void> {
    for (;;) {
      let retryAfterMs = 0;
      record.attempts++;
      const at = Date.now();
      this.attemptSentAt = at;
      try {
        const todo = await this.attempt(record);
        this.acknowledged(record, todo);
        return;
      } catch (error) {
        const failure = this.describe(error);
        this.failed(record, at, failure.status, failure.code);
        retryAfterMs = failure.retryAfterMs ?? 0;
        if (!failure.retry) {
          record.outcome = 'rejected';
          return;
        }
      } finally {
        this.attemptSentAt = undefined;
      }
      if (Date.now() >= this.control.giveUpAt) {
        record.outcome = 'unresolved';
        return;
      }
      await sleep(Math.max(backoffDelay(record.attempts - 1, RETRY), retryAfterMs));
    }
  }

  private async attempt(record: WriteRecord): Promise<Todo | undefined> {
    const key = record.key;
    if (record.via === 'graphql') {
      const variables = record.op === 'create' ? { title: record.intent.title, key } : { id: record.todoId, ...record.intent, key };
      const answer = await this.client.request<GraphqlAnswer>('/graphql', { method: 'POST', body: { query: MUTATIONS[record.op], variables } });
      const todo = graphqlResult<Todo | boolean>(answer, { create: 'createTodo', update: 'updateTodo', delete: 'deleteTodo' }[record.op]);
      return record.op === 'delete' ? undefined : (todo as Todo);
    }
    const headers = { 'idempotency-key': key };
    if (record.op === 'create') return this.client.request<Todo>('/api/todos', { method: 'POST', body: { title: record.intent.title }, headers });
    if (record.op === 'update') return this.client.request<Todo>(`/api/todos/${record.todoId}`, { method: 'PATCH', body: record.intent, headers });
    await this.client.request(`/api/todos/${record.todoId}`, { method: 'DELETE', headers });
    return undefined;
  }

  /**
   * A failure as the figures show it (the contract's code, "proxy 503" when Caddy answered itself,
   * "network ..." when nothing answered) and whether the same key is worth sending again. An
   * UNAUTHENTICATED that survived the SDK's own refresh is asked again too: the next attempt refreshes.
   */
  private describe(error: unknown): { status: number; code: string; retry: boolean; retryAfterMs?: number } {
    const e = error instanceof CobaltError ? error : new CobaltError('NETWORK', String(error));
    const status = e.status ?? 0;
    const retryAfterMs = e.options.retryAfterSeconds ? e.options.retryAfterSeconds * 1000 : undefined;
    if (e.code === 'NETWORK') return { status: 0, code: `network ${networkCause(e)}`, retry: true };
    if (this.last.fromProxy && status >= 500) return { status, code: `proxy ${status}`, retry: status >= 502 && status <= 504 };
    return { status, code: e.code, retry: isRetryable(e) || e.code === 'UNAUTHENTICATED', retryAfterMs };
  }
}

/** "ECONNREFUSED", "TimeoutError": the cause under fetch's TypeError, as the old figures showed it. */
function networkCause(error: CobaltError): string {
  const cause = (error.options.cause as { cause?: { code?: string }; name?: string } | undefined) ?? {};
  return cause.cause?.code ?? cause.name ?? 'error';
}
