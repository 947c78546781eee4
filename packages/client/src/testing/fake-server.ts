import { PROTOCOL_VERSION, type AckResult, type ErrorBody, type SyncResult, type Todo, type TodoChange } from '@cobalt/contract';
import { keyedTodoId } from '../ids.js';
import type { ClientStorage } from '../platform/ports.js';
import type { ClientEventName, LiveTransport, RequestAnswer, RequestPayload, ServerEvent, TransportFactory, TransportSignal } from '../transport.js';

/**
 * An in-memory Cobalt server for tests of apps built on the SDK: one user, a change log with
 * gap-free seqs, writes applied once per `clientMutationId` (a retry gets the todo as it is now),
 * keyed creates getting the contract's keyed id, change events carrying the write's id to every
 * connected client, and `sync` answering as the real server does. Deliveries are asynchronous
 * (microtasks), never timed. Tests can take the network away, lose acks, and hold events back.
 */

interface LoggedChange {
  seq: number;
  todoId: string;
  key?: string;
}

type Answer = AckResult<unknown>;

const notFound: ErrorBody = { code: 'NOT_FOUND', message: 'Todo not found' };
const invalid = (message: string): ErrorBody => ({ code: 'VALIDATION_FAILED', message: 'Request validation failed', details: [{ path: '', message }] });

/** An unsigned token with the claims the SDK reads (the fake server does not check signatures). */
export function fakeAccessToken(userId: string, sessionId: string, lifetimeSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: userId, sid: sessionId, iat: now, exp: now + lifetimeSeconds })}.fake`;
}

export class FakeCobaltServer {
  readonly userId: string;
  readonly todos = new Map<string, Todo & { seq: number; createdSeq: number; mutationId?: string; alive: boolean }>();
  readonly log: LoggedChange[] = [];
  /** Every request received, in order (retries included). */
  readonly requests: { event: string; payload: unknown }[] = [];
  private readonly keys = new Map<string, { operation: string; fingerprint: string; todoId: string }>();
  private readonly transports = new Set<FakeTransport>();
  private reachableNow = true;
  private clock = Date.parse('2026-01-01T10:00:00.000Z');
  private idCounter = 0;
  private eventFilter: ((event: ServerEvent, to: FakeTransport) => boolean) | null = null;
  private ackFilter: ((event: string, payload: unknown) => boolean) | null = null;
  private refusal: ((event: string, payload: unknown) => ErrorBody | null) | null = null;
  readonly instanceId: string;

  constructor(options: { userId?: string; instanceId?: string } = {}) {
    this.userId = options.userId ?? 'user-1';
    this.instanceId = options.instanceId ?? 'fake-1';
  }

  get seq(): number {
    return this.log.length;
  }

  /** A transport factory for `createCobaltClient({ transport })`: every client gets its own connection. */
  transport(): TransportFactory {
    return () => {
      const transport = new FakeTransport(this);
      this.transports.add(transport);
      return transport;
    };
  }

  /** Puts a signed-in session into `storage`, as a client that signed in earlier left it. */
  async signIn(storage: ClientStorage, sessionId = 'session-1'): Promise<void> {
    const accessToken = fakeAccessToken(this.userId, sessionId);
    await storage.set('session', { user: { id: this.userId, email: 'ada@example.com', name: 'Ada' }, sessionId, accessToken, refreshToken: `refresh-${sessionId}` });
  }

  get reachable(): boolean {
    return this.reachableNow;
  }

  /** Takes the network away (every connection drops) or gives it back (they reconnect). */
  setReachable(on: boolean): void {
    this.reachableNow = on;
    for (const transport of this.transports) {
      if (on) transport.networkBack();
      else transport.drop('transport close');
    }
  }

  /** Events for which `keep` answers false are not delivered (to that client). */
  filterEvents(keep: ((event: ServerEvent, to: FakeTransport) => boolean) | null): void {
    this.eventFilter = keep;
  }

  /** Requests for which `answer` says false are applied but never acknowledged (a lost ack). */
  filterAcks(answer: ((event: string, payload: unknown) => boolean) | null): void {
    this.ackFilter = answer;
  }

  /** Requests for which `refuse` gives an error body are answered with it and not applied (a store outage, say). */
  refuseRequests(refuse: ((event: string, payload: unknown) => ErrorBody | null) | null): void {
    this.refusal = refuse;
  }

  /** What the server holds now, as a client would list it. */
  list(): Todo[] {
    return [...this.todos.values()]
      .filter((t) => t.alive)
      .sort((a, b) => a.createdSeq - b.createdSeq)
      .map(({ id, title, completed, createdAt, updatedAt, version }) => ({ id, title, completed, createdAt, updatedAt, version }));
  }

  /** A write by another device (no transport of the tests involved), announced like any. */
  write(event: 'todo:create' | 'todo:update' | 'todo:delete', payload: Record<string, unknown>): Answer {
    return this.handle(event, payload);
  }

  /** The connections clients have opened, in order. */
  get connections(): FakeTransport[] {
    return [...this.transports];
  }

  /** @internal */
  detach(transport: FakeTransport): void {
    this.transports.delete(transport);
  }

  /** @internal applies one request and says whether its ack is to be delivered. */
  receive(event: string, payload: unknown): { answer: Answer; deliver: boolean } {
    this.requests.push({ event, payload });
    const refused = this.refusal?.(event, payload);
    const answer = refused ? { error: refused } : this.handle(event, payload);
    return { answer, deliver: this.ackFilter ? this.ackFilter(event, payload) : true };
  }

  private handle(event: string, payload: unknown): Answer {
    const input = (payload ?? {}) as Record<string, unknown>;
    switch (event) {
      case 'sync':
        return { data: this.sync(Number(input.since)) };
      case 'presence:watch':
        return { data: { online: [...new Set([...this.transports].filter((t) => t.connected).map(() => 'session-1'))] } };
      case 'auth:refresh':
        return { data: { expiresAt: new Date(Date.now() + 3600_000).toISOString() } };
      case 'todo:create':
      case 'todo:update':
      case 'todo:delete':
        return this.writeOnce(event, input);
      default:
        return { error: invalid(`unknown event ${event}`) };
    }
  }

  private writeOnce(event: string, input: Record<string, unknown>): Answer {
    const { clientMutationId: key, ...rest } = input as { clientMutationId?: string } & Record<string, unknown>;
    const fingerprint = JSON.stringify([event, rest]);
    if (key) {
      const earlier = this.keys.get(key);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) return { error: { code: 'CONFLICT', message: 'This idempotency key was already used for a different request' } };
        // A retry: the first outcome, with the todo as it is now; its change is announced again.
        const todo = this.todos.get(earlier.todoId);
        const entry = [...this.log].reverse().find((e) => e.key === key);
        if (entry) this.announceAgain(entry);
        if (event === 'todo:delete') return { data: { id: earlier.todoId } };
        return todo ? { data: this.view(todo) } : { error: notFound };
      }
    }
    const at = this.tick();
    if (event === 'todo:create') {
      const title = typeof rest.title === 'string' ? rest.title.trim() : '';
      if (!title) return { error: invalid('Title must not be empty') };
      const id = key ? keyedTodoId(this.userId, key) : (++this.idCounter).toString(16).padStart(24, '0');
      const seq = this.seq + 1;
      const todo = { id, title, completed: false, createdAt: at, updatedAt: at, version: 1, seq, createdSeq: seq, mutationId: key, alive: true };
      this.todos.set(id, todo);
      return this.commit(event, key, fingerprint, todo, 'todo:created');
    }
    const id = String(rest.id);
    const todo = this.todos.get(id);
    if (!todo || !todo.alive) return { error: notFound };
    const seq = this.seq + 1;
    if (event === 'todo:delete') {
      Object.assign(todo, { alive: false, seq, mutationId: key });
      this.commit(event, key, fingerprint, todo, 'todo:deleted');
      return { data: { id } };
    }
    if (rest.title === undefined && rest.completed === undefined) return { error: invalid('Nothing to update: give title or completed') };
    if (typeof rest.title === 'string') todo.title = rest.title.trim();
    if (typeof rest.completed === 'boolean') todo.completed = rest.completed;
    Object.assign(todo, { version: todo.version + 1, updatedAt: at, seq, mutationId: key });
    return this.commit(event, key, fingerprint, todo, 'todo:updated');
  }

  private commit(event: string, key: string | undefined, fingerprint: string, todo: Todo & { seq: number }, type: TodoChange['type']): Answer {
    const entry: LoggedChange = { seq: todo.seq, todoId: todo.id, key };
    this.log.push(entry);
    if (key) this.keys.set(key, { operation: event, fingerprint, todoId: todo.id });
    this.announce(type, todo, entry);
    return { data: this.view(todo) };
  }

  private announceAgain(entry: LoggedChange): void {
    const todo = this.todos.get(entry.todoId);
    if (!todo) return;
    const type = !todo.alive && todo.seq === entry.seq ? 'todo:deleted' : entry.seq === todo.createdSeq ? 'todo:created' : 'todo:updated';
    this.announce(type, todo, entry);
  }

  private announce(type: TodoChange['type'], todo: Todo, entry: LoggedChange): void {
    const base = { seq: entry.seq, ...(entry.key ? { clientMutationId: entry.key } : {}) };
    const event: ServerEvent = type === 'todo:deleted' ? { name: 'todo:deleted', payload: { id: todo.id, ...base } } : { name: type, payload: { todo: this.view(todo), ...base } };
    for (const transport of this.transports) {
      if (!transport.connected) continue;
      if (this.eventFilter && !this.eventFilter(event, transport)) continue;
      transport.deliver(event);
    }
  }

  private sync(since: number): SyncResult {
    if (!Number.isInteger(since) || since < 0) throw new Error('bad since');
    if (since > this.seq) return { seq: this.seq, reset: true, todos: this.list() };
    const changed = [...this.todos.values()].filter((t) => t.seq > since).sort((a, b) => a.seq - b.seq);
    const changes = changed.map((t): TodoChange => {
      const base = { seq: t.seq, ...(t.mutationId ? { clientMutationId: t.mutationId } : {}) };
      if (!t.alive) return { type: 'todo:deleted', id: t.id, ...base };
      return { type: t.createdSeq > since ? 'todo:created' : 'todo:updated', todo: this.view(t), ...base };
    });
    return { seq: this.seq, changes };
  }

  private view(todo: Todo): Todo {
    const { id, title, completed, createdAt, updatedAt, version } = todo;
    return { id, title, completed, createdAt, updatedAt, version };
  }

  private tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }
}

/** One client's connection to the fake server. */
export class FakeTransport implements LiveTransport {
  private state: 'closed' | 'connected' | 'waiting' = 'closed';
  private readonly listeners = new Set<(signal: TransportSignal) => void>();
  private readonly pending = new Set<(error: Error) => void>();

  constructor(private readonly server: FakeCobaltServer) {}

  get connected(): boolean {
    return this.state === 'connected';
  }

  get reconnecting(): boolean {
    return this.state === 'waiting';
  }

  open(): void {
    if (this.state === 'connected') return;
    if (!this.server.reachable) {
      this.state = 'waiting';
      this.emit({ type: 'connect_error', message: 'xhr poll error' });
      return;
    }
    this.state = 'connected';
    queueMicrotask(() => {
      if (this.state !== 'connected') return;
      this.emit({ type: 'connect' });
      this.emit({ type: 'event', event: { name: 'hello', payload: { instanceId: this.server.instanceId, userId: this.server.userId, protocol: PROTOCOL_VERSION } } });
    });
  }

  close(): void {
    this.drop('io client disconnect');
    this.state = 'closed';
  }

  /** The connection breaks; it comes back by itself when the network does (as Socket.IO's does). */
  drop(reason: string): void {
    if (this.state !== 'connected') return;
    this.state = 'waiting';
    for (const reject of [...this.pending]) reject(new Error('socket has been disconnected'));
    this.pending.clear();
    this.emit({ type: 'disconnect', reason });
  }

  /** @internal */
  networkBack(): void {
    if (this.state === 'waiting') this.open();
  }

  request<E extends ClientEventName>(event: E, payload: RequestPayload<E>): Promise<AckResult<RequestAnswer<E>>> {
    if (this.state !== 'connected') return Promise.reject(new Error('socket has been disconnected'));
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      this.pending.add(fail);
      queueMicrotask(() => {
        if (!this.pending.has(fail)) return;
        let outcome: { answer: AckResult<unknown>; deliver: boolean };
        try {
          outcome = this.server.receive(event, JSON.parse(JSON.stringify(payload)));
        } catch (error) {
          outcome = { answer: { error: { code: 'VALIDATION_FAILED', message: (error as Error).message } }, deliver: true };
        }
        // A lost ack stays pending until the connection drops, as a real one times out.
        if (!outcome.deliver) return;
        this.pending.delete(fail);
        queueMicrotask(() => resolve(outcome.answer as AckResult<RequestAnswer<E>>));
      });
    });
  }

  listen(listener: (signal: TransportSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers `event` to this client now (a late or repeated event, a hint). */
  deliver(event: ServerEvent): void {
    const copy = JSON.parse(JSON.stringify(event)) as ServerEvent;
    queueMicrotask(() => {
      if (this.state === 'connected') this.emit({ type: 'event', event: copy });
    });
  }

  private emit(signal: TransportSignal): void {
    for (const listener of [...this.listeners]) listener(signal);
  }
}
