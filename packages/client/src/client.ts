import type { AuthResult, User } from '@cobalt/contract';
import { Auth, type AuthState, type CredentialMode, type RegisterInput, type SessionEndReason, type SignInInput } from './auth.js';
import { Connection, type ConnectionStatus } from './connection.js';
import { CobaltError } from './errors.js';
import { HttpClient, type FetchLike } from './http.js';
import { randomMutationId } from './ids.js';
import { Emitter, type Observable } from './observable.js';
import { localCoordinator, memoryStorage } from './platform/portable.js';
import { alwaysOnline, type ClientStorage, type Coordinator, type NetworkMonitor } from './platform/ports.js';
import type { SenderOptions } from './sender.js';
import { Sessions } from './sessions.js';
import { EMPTY_TODO_LIST, TodoScope, type SyncEvents, type TodoItem, type TodoListState } from './todos.js';
import { socketIoTransport, type TransportFactory } from './transport.js';

export interface CobaltClientOptions {
  /** The server's origin, e.g. `http://localhost:8080`; `''` for the page's own origin (browsers). */
  baseUrl: string;
  /** Where the session, the replica and the outbox are kept. Default: memory (nothing survives a restart). */
  storage?: ClientStorage;
  /** `token` (default): the refresh token is kept in `storage`. `cookie`: browsers, in an HttpOnly cookie. */
  credentials?: CredentialMode;
  /** This device's name, shown on the devices page (default: the server uses the User-Agent). */
  device?: string;
  fetch?: FetchLike;
  /** The live connection (default: Socket.IO, WebSocket first with a polling fallback). */
  transport?: TransportFactory;
  /** How clients sharing `storage` on one device cooperate (default: within this process). */
  coordinator?: Coordinator;
  /** Whether the device has a network (default: always). */
  network?: NetworkMonitor;
  /** Makes `clientMutationId`s (default: `crypto.randomUUID`). */
  randomId?: () => string;
  /** How long a `sync` may take before it is asked again (default 10 s). */
  syncTimeoutMs?: number;
  /** Sending the outbox: ack timeout, mutations in flight, back-off. */
  outbox?: SenderOptions;
  /** Refresh the access token this long before it expires (default 90 s). */
  refreshLeewayMs?: number;
  /** Our own retries of handshakes the server refused (not the transport's): first and longest pause, jittered (default 1 s to 30 s). */
  reconnect?: { minMs?: number; maxMs?: number };
  /** Source of jitter (default `Math.random`). */
  random?: () => number;
  now?: () => number;
}

export type ClientEvents = SyncEvents & {
  /** The session ended on this device. */
  'session-ended': { reason: SessionEndReason; userId: string };
};

/**
 * The Cobalt client: one object per device (or per tab) that signs in, keeps a live connection,
 * holds the user's todos as the server last told them, and queues changes made here until the
 * server has them. See packages/client/README.md.
 */
export class CobaltClient {
  readonly events = new Emitter<ClientEvents>();
  readonly connection: Connection;
  readonly sessions: Sessions;
  readonly todos: TodosApi;
  private readonly authCore: Auth;
  private readonly http: HttpClient;
  /** Listeners of the list; the open scope is followed only while there are some (its list is computed when read). */
  private readonly todoListeners = new Set<(state: TodoListState) => void>();
  private scope: TodoScope | null = null;
  private scopeOpening: Promise<TodoScope | null> = Promise.resolve(null);
  /** The user whose scope is open or opening. */
  private openingFor: string | null = null;
  private offScope: (() => void) | null = null;
  private started = false;
  /** Forgetting (or closing) the data of a session that just ended. */
  private ending: Promise<void> = Promise.resolve();
  private offAuth: (() => void)[] = [];
  private readonly storage: ClientStorage;
  private readonly coordinator: Coordinator;

  constructor(private readonly options: CobaltClientOptions) {
    this.storage = options.storage ?? memoryStorage();
    this.coordinator = options.coordinator ?? localCoordinator();
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
    this.http = new HttpClient(options.baseUrl.replace(/\/+$/, ''), fetchImpl);
    this.authCore = new Auth({
      http: this.http,
      storage: this.storage,
      coordinator: this.coordinator,
      mode: options.credentials ?? 'token',
      device: options.device,
      refreshLeewayMs: options.refreshLeewayMs,
      now: options.now,
    });
    this.connection = new Connection({
      url: this.http.baseUrl,
      auth: this.authCore,
      transport: options.transport ?? socketIoTransport(),
      network: options.network ?? alwaysOnline,
      retryMinMs: options.reconnect?.minMs,
      retryMaxMs: options.reconnect?.maxMs,
      random: options.random,
    });
    this.sessions = new Sessions(this.authCore, this.connection, (reason) => this.endSession(reason));
    this.todos = new TodosApi(this);
  }

  // Session ------------------------------------------------------------------------------------

  get authState(): Observable<AuthState> {
    return this.authCore.state;
  }

  get user(): User | null {
    return this.authCore.user;
  }

  get sessionId(): string | null {
    return this.authCore.sessionId;
  }

  register(input: RegisterInput): Promise<User> {
    return this.authCore.register(input);
  }

  signIn(input: SignInInput): Promise<User> {
    return this.authCore.signIn(input);
  }

  /**
   * Begins a session that was opened elsewhere: the answer of a register or login request made by
   * another program (a provisioning script, a load generator). Token mode only.
   */
  adoptSession(result: AuthResult): Promise<User> {
    return this.authCore.adopt(result);
  }

  /**
   * Signs this device out, on the server when it can be reached, and forgets the user's todos
   * and unsent changes here. Resolves `false` when the server could not be told.
   */
  async signOut(): Promise<boolean> {
    const told = await this.authCore.signOut();
    await this.ending;
    return told;
  }

  /** @internal ends the session here for `reason`, once its data is dealt with. */
  async endSession(reason: SessionEndReason): Promise<void> {
    await this.authCore.end(reason);
    await this.ending;
  }

  /**
   * Browsers (cookie mode): signs in with the refresh cookie alone, for a session that storage does
   * not know (signed in before it was kept, or storage cleared). False when there is none.
   */
  resumeSession(): Promise<boolean> {
    return this.authCore.resumeFromCookie();
  }

  /** A valid access token, for calls the SDK does not wrap (REST, GraphQL). */
  accessToken(): Promise<string> {
    return this.authCore.accessToken();
  }

  /** A JSON request to the API as the signed-in user (token attached, renewed once on 401). */
  request<T>(path: string, request: Parameters<Auth['request']>[1] = {}): Promise<T> {
    return this.authCore.request<T>(path, request);
  }

  // Lifecycle ----------------------------------------------------------------------------------

  /** Restores the kept session and data, and connects while signed in. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.offAuth = [
      this.authCore.state.subscribe((state) => void this.follow(state)),
      this.authCore.events.on('ended', ({ reason, userId }) => {
        this.ending = this.onEnded(reason, userId);
      }),
    ];
    await this.authCore.restore();
    await this.scopeOpening;
  }

  /** Disconnects and stops every timer. Kept data stays kept. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const off of this.offAuth) off();
    this.offAuth = [];
    this.connection.stop();
    this.authCore.close();
    this.openingFor = null;
    this.scopeOpening = Promise.resolve(null);
    await this.closeScope();
  }

  // State --------------------------------------------------------------------------------------

  get status(): ConnectionStatus {
    return this.connection.status.get();
  }

  /** Changes made on this device that the server has not confirmed yet. */
  get pendingCount(): number {
    return this.todoView.get().pendingCount;
  }

  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** @internal the open scope of the signed-in user (waits while one is opening). */
  async currentScope(): Promise<TodoScope> {
    const scope = this.scope ?? (await this.scopeOpening);
    if (!scope) throw new CobaltError('NOT_SIGNED_IN', 'Not signed in');
    return scope;
  }

  /** @internal */
  get todoListState(): Observable<TodoListState> {
    return this.todoView;
  }

  private readonly todoView: Observable<TodoListState> = {
    get: () => this.scope?.state.get() ?? EMPTY_TODO_LIST,
    subscribe: (listener) => {
      const wrapped = (state: TodoListState) => listener(state);
      this.todoListeners.add(wrapped);
      if (this.todoListeners.size === 1) this.followScope();
      return () => {
        if (!this.todoListeners.delete(wrapped)) return;
        if (this.todoListeners.size === 0) this.followScope();
      };
    },
  };

  /** Hears the open scope's changes while the list has listeners; not at all otherwise. */
  private followScope(): void {
    this.offScope?.();
    this.offScope = this.scope && this.todoListeners.size > 0 ? this.scope.state.subscribe((state) => this.tellTodoListeners(state)) : null;
  }

  private tellTodoListeners(state: TodoListState = this.todoView.get()): void {
    for (const listener of [...this.todoListeners]) listener(state);
  }

  // Internals ----------------------------------------------------------------------------------

  private async follow(state: AuthState): Promise<void> {
    if (!this.started) return;
    if (state.status === 'signed-in') {
      if (this.openingFor !== state.user.id) {
        this.openingFor = state.user.id;
        this.scopeOpening = this.switchScope(state.user.id);
      }
      await this.scopeOpening;
      if (this.started && this.scope?.userId === state.user.id) this.connection.start();
    } else if (state.status === 'signed-out') {
      this.connection.stop();
    }
  }

  /** Closes the scope of the user before (their data stays kept) and opens `userId`'s. */
  private async switchScope(userId: string): Promise<TodoScope | null> {
    await this.closeScope();
    const scope = new TodoScope({
      userId,
      storage: this.storage,
      coordinator: this.coordinator,
      connection: this.connection,
      refresh: () => this.authCore.refresh(),
      emit: (event, payload) => this.events.emit(event, payload as ClientEvents[typeof event]),
      randomId: this.options.randomId ?? randomMutationId,
      syncTimeoutMs: this.options.syncTimeoutMs ?? 10_000,
      sender: this.options.outbox,
      random: this.options.random,
      now: this.options.now,
    });
    await scope.open();
    if (this.openingFor !== userId) {
      await scope.close();
      return null;
    }
    this.scope = scope;
    this.followScope();
    this.tellTodoListeners();
    return scope;
  }

  /** Detaches the open scope (if any) and returns it. */
  private detachScope(): TodoScope | null {
    const scope = this.scope;
    this.scope = null;
    this.offScope?.();
    this.offScope = null;
    this.tellTodoListeners();
    return scope;
  }

  private async closeScope(): Promise<void> {
    await this.detachScope()?.close();
  }

  /**
   * A session ended here. Signing out on purpose, or being signed out from another device, also
   * forgets the user's data on this device; a session that merely expired keeps it, so changes
   * made offline go out after the same user signs in again.
   */
  private async onEnded(reason: SessionEndReason, userId: string): Promise<void> {
    if (this.openingFor === userId) {
      this.openingFor = null;
      this.scopeOpening = Promise.resolve(null);
    }
    const scope = this.scope?.userId === userId ? this.detachScope() : null;
    if (reason === 'signed-out' || reason === 'revoked') {
      if (scope) await scope.clearLocalData();
      else await forgetUserData(this.storage, userId);
    } else await scope?.close();
    this.events.emit('session-ended', { reason, userId });
  }
}

async function forgetUserData(storage: ClientStorage, userId: string): Promise<void> {
  for (const [key] of await storage.list(`outbox:${userId}:`)) await storage.delete(key).catch(() => undefined);
  await storage.delete(`replica:${userId}`).catch(() => undefined);
}

/** `client.todos`: the signed-in user's list and the changes made to it. */
export class TodosApi {
  constructor(private readonly client: CobaltClient) {}

  /** The list as this device shows it, with `ready`, `synced` and `pendingCount`. */
  get state(): Observable<TodoListState> {
    return this.client.todoListState;
  }

  list(): readonly TodoItem[] {
    return this.state.get().items;
  }

  get(id: string): TodoItem | undefined {
    return this.list().find((item) => item.id === id);
  }

  /** Calls `listener` with the new state after every change (local or from the server). */
  subscribe(listener: (state: TodoListState) => void): () => void {
    return this.state.subscribe(listener);
  }

  /**
   * Adds a todo. Resolves once the change is kept on the device (it shows at once, `pending`),
   * with the id the server will give it; rejects with `VALIDATION_FAILED` or `STORAGE`.
   */
  async create(title: string): Promise<TodoItem> {
    return (await this.client.currentScope()).create(title);
  }

  async update(id: string, patch: { title?: string; completed?: boolean }): Promise<TodoItem> {
    return (await this.client.currentScope()).update(id, patch);
  }

  rename(id: string, title: string): Promise<TodoItem> {
    return this.update(id, { title });
  }

  async toggle(id: string): Promise<TodoItem> {
    const item = this.get(id);
    if (!item) throw new CobaltError('NOT_FOUND', 'Todo not found');
    return this.update(id, { completed: !item.completed });
  }

  async remove(id: string): Promise<void> {
    return (await this.client.currentScope()).remove(id);
  }

  /** Resolves when the list has been synced with the server in this run. */
  whenSynced(): Promise<void> {
    return waitFor(this.state, (state) => state.synced);
  }

  /** Resolves when every change made on this device has been answered by the server. */
  async whenSent(): Promise<void> {
    return (await this.client.currentScope()).whenSent();
  }
}

function waitFor<T>(observable: Observable<T>, done: (value: T) => boolean): Promise<void> {
  if (done(observable.get())) return Promise.resolve();
  return new Promise((resolve) => {
    const off = observable.subscribe((value) => {
      if (!done(value)) return;
      off();
      resolve();
    });
  });
}

export function createCobaltClient(options: CobaltClientOptions): CobaltClient {
  return new CobaltClient(options);
}
