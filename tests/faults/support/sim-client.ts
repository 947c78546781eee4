import { SYNC_GAP_GRACE_MS, SYNC_HINT_JITTER_MS, type ClientToServerEvents, type ServerToClientEvents, type SyncResult, type Todo } from '@cobalt/contract';
import { io, type Socket } from 'socket.io-client';
// The web app's own replica: the client algorithm of docs/API.md section 7 as the real client runs it.
import { TodoReplica } from '../../../frontend/src/features/todos/stores/todo-replica.js';
import type { Channel, Ledger, WriteOp, WriteRecord } from './ledger.js';

/**
 * Simulated devices for the fault suite. Each behaves like a real client of docs/API.md: every
 * write carries a key (socket/GraphQL `clientMutationId`, REST `Idempotency-Key`) and is retried
 * with the same key until acknowledged, with jittered exponential back-off (and at least
 * `Retry-After`); sockets reconnect with Socket.IO's jittered back-off, retry refused handshakes
 * themselves, and send `sync {since: lastSeq}` after every (re)connect.
 *
 * A client only changes todos it created itself, and one write at a time, so the expected state of
 * every todo follows from the acknowledgements alone and any rejection is a real error.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** "Equal jitter": half the exponential step fixed, half random, so retries never synchronise. */
export function backoffMs(attempt: number, { baseMs = 250, maxMs = 5000 } = {}): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

type AttemptResult = { kind: 'ok'; todo?: Todo } | { kind: 'retry' | 'reject'; status: number; code: string; retryAfterMs?: number };

const RETRYABLE = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL', 'UNAUTHENTICATED']);

/** What a client does with an error code: retry (same key) or give up. */
function classifyCode(code: string, status: number, attemptNo: number, retryAfterMs?: number): AttemptResult {
  // The same key is never reused for another request here, so a CONFLICT on a retry can only be
  // "the first attempt is still running": wait and ask again.
  if (RETRYABLE.has(code) || (code === 'CONFLICT' && attemptNo > 0)) return { kind: 'retry', status, code, retryAfterMs };
  return { kind: 'reject', status, code };
}

/** A signed-in device: its tokens, refreshed (serially, as the API asks) when the server says so. */
export class DeviceSession {
  private refreshing?: Promise<void>;
  refreshes = 0;
  constructor(
    readonly baseUrl: string,
    readonly userId: string,
    public accessToken: string,
    private refreshToken: string,
  ) {}

  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const res = await fetch(new URL('/api/auth/refresh', this.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: this.refreshToken }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status !== 200) throw new Error(`refresh answered ${res.status}`);
      const body = (await res.json()) as { accessToken: string; refreshToken: string };
      this.accessToken = body.accessToken;
      this.refreshToken = body.refreshToken;
      this.refreshes++;
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }
}

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

export abstract class SimClient {
  readonly owned = new Map<string, OwnedTodo>();
  /** When the attempt now waiting for its answer was sent (undefined when none is). */
  attemptSentAt?: number;
  private counter = 0;

  constructor(
    readonly id: string,
    readonly session: DeviceSession,
    protected readonly ledger: Ledger,
    protected readonly control: LoadControl,
  ) {}

  get userId(): string {
    return this.session.userId;
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
  protected abstract attempt(record: WriteRecord, attemptNo: number): Promise<AttemptResult>;

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
    const record = this.ledger.begin({ key: this.nextKey(), clientId: this.id, userId: this.userId, op: 'update', via: this.channel('update'), todoKey: todo.key, todoId: todo.id, intent });
    await this.perform(record);
    if (record.outcome !== 'acked') todo.uncertain = true;
    else if (intent.completed !== undefined) todo.completed = intent.completed;
    else todo.revision++;
  }

  private async remove(todo: OwnedTodo): Promise<void> {
    const record = this.ledger.begin({ key: this.nextKey(), clientId: this.id, userId: this.userId, op: 'delete', via: this.channel('delete'), todoKey: todo.key, todoId: todo.id, intent: {} });
    await this.perform(record);
    if (record.outcome === 'acked') todo.alive = false;
    else todo.uncertain = true;
  }

  /** Sends a write and retries it with the same key until it is acknowledged (or given up). */
  private async perform(record: WriteRecord): Promise<void> {
    for (;;) {
      record.attempts++;
      const at = Date.now();
      this.attemptSentAt = at;
      const result = await this.attempt(record, record.attempts - 1).finally(() => {
        this.attemptSentAt = undefined;
      });
      if (result.kind === 'ok') {
        record.outcome = 'acked';
        record.ackedAt = Date.now();
        record.acked = result.todo;
        return;
      }
      record.failures.push({ via: record.via, at, ms: Date.now() - at, status: result.status, code: result.code });
      record.lastError = `${result.status || ''} ${result.code}`.trim();
      if (result.kind === 'reject') {
        record.outcome = 'rejected';
        return;
      }
      if (Date.now() >= this.control.giveUpAt) {
        record.outcome = 'unresolved';
        return;
      }
      if (result.code === 'UNAUTHENTICATED') await this.session.refresh().catch(() => undefined);
      await sleep(Math.max(backoffMs(record.attempts - 1), result.retryAfterMs ?? 0));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Socket.IO device

export interface Reconnect {
  clientId: string;
  from?: string;
  reason: string;
  at: number;
  helloAt?: number;
  to?: string;
  syncedAt?: number;
}

type SimSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export class SocketSimClient extends SimClient {
  readonly replica = new TodoReplica();
  readonly reconnects: Reconnect[] = [];
  readonly connectErrors = new Map<string, number>();
  instanceId?: string;
  /** Events for a seq the replica had already applied (the server may announce a change again): dropped. */
  repeatedEvents = 0;
  /** The same seq heard for two different changes: the log gave one number out twice. Must stay 0. */
  seqConflicts = 0;
  /** Syncs sent because a skipped seq did not arrive within SYNC_GAP_GRACE_MS. */
  gapSyncs = 0;
  eventsReceived = 0;
  syncs = 0;
  /** `sync:required` hints received. */
  syncHints = 0;
  resets = 0;
  private socket!: SimSocket;
  /** What each seq heard live was about (type and todo), to tell a repeat from a conflict. */
  private readonly heard = new Map<number, string>();
  private gapTimer?: NodeJS.Timeout;
  private pending?: Reconnect;
  private syncGeneration = 0;
  private syncRetry?: NodeJS.Timeout;
  private hintTimer?: NodeJS.Timeout;
  private handshakeAttempts = 0;
  private handshakeTimer?: NodeJS.Timeout;
  private open = false;

  constructor(
    id: string,
    session: DeviceSession,
    ledger: Ledger,
    control: LoadControl,
    readonly transport: 'websocket' | 'polling',
    private readonly ackTimeoutMs = 8000,
  ) {
    super(id, session, ledger, control);
  }

  protected channel(): Channel {
    return 'socket';
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Connects and resolves after the first sync answer. */
  connect(timeoutMs = 15_000): Promise<void> {
    this.open = true;
    const socket: SimSocket = io(this.session.baseUrl, {
      path: '/socket.io/',
      transports: [this.transport],
      // In Node, withCredentials turns on the cookie jar: polling needs Caddy's affinity cookie.
      withCredentials: true,
      forceNew: true,
      // The web app's reconnection settings (Socket.IO jitters each delay by ±50 %).
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
      timeout: 5000,
      auth: (cb) => cb({ token: this.session.accessToken }),
    });
    this.socket = socket;
    socket.on('connect', () => this.onConnect());
    socket.on('hello', ({ instanceId }) => {
      this.instanceId = instanceId;
      if (this.pending && !this.pending.helloAt) Object.assign(this.pending, { helloAt: Date.now(), to: instanceId });
    });
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
    socket.on('connect_error', (error: Error & { data?: { code?: string } }) => this.onConnectError(error));
    socket.on('todo:created', ({ todo, seq }) => this.receive(seq, { type: 'todo:created', todo, seq }));
    socket.on('todo:updated', ({ todo, seq }) => this.receive(seq, { type: 'todo:updated', todo, seq }));
    socket.on('todo:deleted', ({ id, seq }) => this.receive(seq, { type: 'todo:deleted', id, seq }));
    // As the web app: live events may have been missed; one sync after a random pause.
    socket.on('sync:required', () => {
      this.syncHints++;
      if (this.hintTimer === undefined) this.hintTimer = setTimeout(() => this.sync(), Math.random() * SYNC_HINT_JITTER_MS);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.id}: no first sync within ${timeoutMs} ms`)), timeoutMs);
      const check = setInterval(() => {
        if (this.replica.hasSynced) {
          clearTimeout(timer);
          clearInterval(check);
          resolve();
        }
      }, 25);
    });
  }

  close(): void {
    this.open = false;
    clearTimeout(this.handshakeTimer);
    this.cancelPendingSync();
    this.socket?.disconnect();
  }

  /** The replica's todos, for the convergence check. */
  todos(): Todo[] {
    return this.replica.list();
  }

  private onConnect(): void {
    this.handshakeAttempts = 0;
    this.sync();
  }

  private onDisconnect(reason: string): void {
    this.syncGeneration++; // an answer can no longer come on this connection
    this.cancelPendingSync();
    this.replica.abandonSync();
    if (!this.open) return;
    this.pending = { clientId: this.id, from: this.instanceId, reason, at: Date.now() };
    this.reconnects.push(this.pending);
    // The server closed the socket on purpose (revocation or a new handshake wanted): refresh, then reconnect.
    if (reason === 'io server disconnect') void this.session.refresh().catch(() => undefined).then(() => this.retryHandshake());
  }

  private onConnectError(error: Error & { data?: { code?: string } }): void {
    const code = error.data?.code ?? 'transport';
    this.connectErrors.set(code, (this.connectErrors.get(code) ?? 0) + 1);
    if (!this.open) return;
    if (code === 'UNAUTHENTICATED') {
      void this.session.refresh().catch(() => undefined).then(() => this.retryHandshake());
      return;
    }
    // Socket.IO retries transport failures itself; a handshake refused by the server it does not.
    if (!this.socket.active) this.retryHandshake();
  }

  private retryHandshake(): void {
    clearTimeout(this.handshakeTimer);
    const delay = backoffMs(this.handshakeAttempts++, { baseMs: 1000, maxMs: 8000 });
    this.handshakeTimer = setTimeout(() => {
      if (this.open && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  /** No sync retry, no hinted sync and no gap check pending any more. */
  private cancelPendingSync(): void {
    clearTimeout(this.syncRetry);
    clearTimeout(this.hintTimer);
    clearTimeout(this.gapTimer);
    this.hintTimer = undefined;
    this.gapTimer = undefined;
  }

  private sync(): void {
    const generation = ++this.syncGeneration;
    this.cancelPendingSync();
    const since = this.replica.beginSync();
    this.syncs++;
    this.socket
      .timeout(10_000)
      .emitWithAck('sync', { since })
      .then((answer) => {
        if (generation !== this.syncGeneration) return;
        if ('error' in answer) throw new Error(answer.error.code);
        const result = answer.data as SyncResult;
        if ('reset' in result && result.reset) this.resets++;
        this.replica.completeSync(result);
        if (this.pending && !this.pending.syncedAt) {
          this.pending.syncedAt = Date.now();
          this.pending = undefined;
        }
      })
      .catch(() => {
        if (generation !== this.syncGeneration) return;
        this.replica.abandonSync();
        if (this.socket.connected) this.syncRetry = setTimeout(() => this.sync(), 1000);
      });
  }

  private receive(seq: number, change: Parameters<TodoReplica['receive']>[0]): void {
    this.eventsReceived++;
    const about = `${change.type === 'todo:deleted' ? 'deleted' : 'changed'} ${change.type === 'todo:deleted' ? change.id : change.todo.id}`;
    const before = this.heard.get(seq);
    if (before !== undefined && before !== about) this.seqConflicts++;
    this.heard.set(seq, about);
    if (!this.replica.receive(change)) this.repeatedEvents++;
    // As the web app: a seq that stays skipped means a change did not reach us; ask for it.
    if (this.gapTimer === undefined && this.replica.hasGap) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        if (this.replica.hasGap && this.socket.connected) {
          this.gapSyncs++;
          this.sync();
        }
      }, SYNC_GAP_GRACE_MS);
    }
  }

  private whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.socket.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onConnect = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.socket.off('connect', onConnect);
        resolve(false);
      }, timeoutMs);
      this.socket.once('connect', onConnect);
    });
  }

  protected async attempt(record: WriteRecord, attemptNo: number): Promise<AttemptResult> {
    if (!(await this.whenConnected(5000))) return { kind: 'retry', status: 0, code: 'offline' };
    const key = record.key;
    try {
      const answer: { data?: any; error?: { code: string } } =
        record.op === 'create'
          ? await this.socket.timeout(this.ackTimeoutMs).emitWithAck('todo:create', { title: record.intent.title!, clientMutationId: key })
          : record.op === 'update'
            ? await this.socket.timeout(this.ackTimeoutMs).emitWithAck('todo:update', { id: record.todoId!, ...record.intent, clientMutationId: key })
            : await this.socket.timeout(this.ackTimeoutMs).emitWithAck('todo:delete', { id: record.todoId!, clientMutationId: key });
      if (answer.error) return classifyCode(answer.error.code, 0, attemptNo, 1000);
      // Rule 5 of the client algorithm: our own acknowledgements are applied like any change.
      if (record.op === 'delete') {
        this.replica.applyDeletion(record.todoId!);
        return { kind: 'ok' };
      }
      this.replica.applyTodo(answer.data as Todo);
      return { kind: 'ok', todo: answer.data as Todo };
    } catch (error) {
      return { kind: 'retry', status: 0, code: /disconnected/.test((error as Error).message) ? 'disconnected' : 'ack timeout' };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP device (REST and GraphQL)

const TODO_FIELDS = 'id title completed createdAt updatedAt version';
const MUTATIONS = {
  create: `mutation($title: String!, $key: String) { createTodo(title: $title, clientMutationId: $key) { ${TODO_FIELDS} } }`,
  update: `mutation($id: ID!, $title: String, $completed: Boolean, $key: String) { updateTodo(id: $id, title: $title, completed: $completed, clientMutationId: $key) { ${TODO_FIELDS} } }`,
  delete: `mutation($id: ID!, $key: String) { deleteTodo(id: $id, clientMutationId: $key) }`,
};

interface HttpAnswer {
  status: number;
  body: any;
  retryAfterMs?: number;
  /** Answered by Caddy itself (no `X-Instance-Id`): no backend took the request. */
  fromProxy?: boolean;
}

export class HttpSimClient extends SimClient {
  private writes = 0;
  constructor(
    id: string,
    session: DeviceSession,
    ledger: Ledger,
    control: LoadControl,
    private readonly timeoutMs = 10_000,
  ) {
    super(id, session, ledger, control);
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
    const res = graphql
      ? await this.request('POST', '/graphql', { query: `query { todos(limit: 50) { items { ${TODO_FIELDS} } nextCursor } }` })
      : await this.request('GET', '/api/todos?limit=50');
    const ok = res.status === 200 && (!graphql || !res.body?.errors);
    const code = ok ? 'ok' : errorCodeOf(res);
    this.ledger.reads.push({ at, ms: Date.now() - at, ok, status: res.status, code });
    if (code === 'UNAUTHENTICATED') await this.session.refresh().catch(() => undefined);
  }

  protected async attempt(record: WriteRecord, attemptNo: number): Promise<AttemptResult> {
    const key = record.key;
    let res: HttpAnswer;
    if (record.via === 'graphql') {
      const variables = record.op === 'create' ? { title: record.intent.title, key } : { id: record.todoId, ...record.intent, key };
      res = await this.request('POST', '/graphql', { query: MUTATIONS[record.op], variables });
      if (res.status === 200 && res.body?.data && !res.body.errors) {
        const todo = record.op === 'create' ? res.body.data.createTodo : record.op === 'update' ? res.body.data.updateTodo : undefined;
        return { kind: 'ok', todo };
      }
    } else {
      const headers = { 'idempotency-key': key };
      res =
        record.op === 'create'
          ? await this.request('POST', '/api/todos', { title: record.intent.title }, headers)
          : record.op === 'update'
            ? await this.request('PATCH', `/api/todos/${record.todoId}`, record.intent, headers)
            : await this.request('DELETE', `/api/todos/${record.todoId}`, undefined, headers);
      if (res.status >= 200 && res.status < 300) return { kind: 'ok', todo: record.op === 'delete' ? undefined : res.body };
    }
    const code = errorCodeOf(res);
    // The network, or Caddy answering itself because no backend could take the request.
    if (code.startsWith('network') || (code.startsWith('proxy') && res.status >= 502 && res.status <= 504)) return { kind: 'retry', status: res.status, code };
    return classifyCode(code, res.status, attemptNo, res.retryAfterMs);
  }

  private async request(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.session.accessToken}`, ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await fetch(new URL(path, this.session.baseUrl), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Caddy's plain-text error page
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      // Every backend answer names its instance; Caddy's own answers (no backend could take the request) do not.
      const fromProxy = res.headers.get('x-instance-id') === null;
      return { status: res.status, body: parsed, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined, fromProxy };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      return { status: 0, body: { networkError: cause } };
    }
  }
}

/** The error code of an answer: the contract's code, or what the proxy or the network said. */
function errorCodeOf(res: HttpAnswer): string {
  if (res.status === 0) return `network ${res.body?.networkError ?? 'error'}`;
  if (res.fromProxy) return `proxy ${res.status}`;
  const body = res.body;
  if (body && typeof body === 'object') {
    if (body.error?.code) return body.error.code;
    if (Array.isArray(body.errors) && body.errors[0]?.extensions?.code) return body.errors[0].extensions.code;
  }
  return `proxy ${res.status}`;
}
