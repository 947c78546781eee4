import type { AuthResult, TokenPair, User } from '@cobalt/contract';
import { CobaltError, isRefusal, toCobaltError } from './errors.js';
import type { HttpClient, JsonRequest } from './http.js';
import { Emitter, Value, type Observable } from './observable.js';
import type { ClientStorage, Coordinator, MessageChannelPort } from './platform/ports.js';
import { readAccessClaims } from './tokens.js';

/**
 * Where the refresh token lives.
 * - `token`: in the client's storage (Node, React Native, desktop). The client sends it in the body.
 * - `cookie`: in an HttpOnly cookie the server sets for browsers (`X-Cobalt-Client: web`); script
 *   never sees it. The storage then keeps only who is signed in.
 */
export type CredentialMode = 'token' | 'cookie';

/** Why a session ended on this device. */
export type SessionEndReason =
  /** `signOut()` here. */
  | 'signed-out'
  /** Revoked from another device (`session:revoked`), or by the server's refresh-token reuse detection. */
  | 'revoked'
  /** The server refused to refresh it (expired, or revoked while this device was away). */
  | 'expired'
  /** Another tab of this browser signed out. */
  | 'signed-out-elsewhere';

export type AuthState = { status: 'restoring' } | { status: 'signed-out'; reason: SessionEndReason | null } | { status: 'signed-in'; user: User; sessionId: string };

export interface SignInInput {
  email: string;
  password: string;
}
export interface RegisterInput extends SignInInput {
  name: string;
}

/** What the storage keeps of a session (key `session`). */
interface StoredSession {
  user: User;
  sessionId: string;
  /** Token mode only. */
  refreshToken?: string;
  accessToken?: string;
}

interface Credentials {
  token: string;
  sessionId: string;
  /** Local clock times, from the token's own lifetime, so a skewed device clock does not matter. */
  expiresAt: number;
  refreshAt: number;
}

type TabMessage = { type: 'signed-in'; sessionId: string } | { type: 'signed-out'; sessionId: string };

export interface AuthOptions {
  http: HttpClient;
  storage: ClientStorage;
  coordinator: Coordinator;
  mode: CredentialMode;
  /** Device name sent with sign-in and register (the session's name on the devices page). */
  device?: string;
  /** Refresh this long before the access token expires (at most half its lifetime). Default 90 s. */
  refreshLeewayMs?: number;
  /** Retry a refresh that failed for a reason other than a refusal after this long. Default 15 s. */
  retryAfterFailureMs?: number;
  now?: () => number;
}

export interface AuthEvents {
  /** A new access token: the live connection passes it on with `auth:refresh`. */
  token: string;
  /** The session ended; `userId` says whose. */
  ended: { reason: SessionEndReason; userId: string; sessionId: string };
  /** A session began here (sign-in, register, restore, or this tab following another's sign-in). */
  began: { user: User; sessionId: string };
}

const SESSION_KEY = 'session';
const REFRESH_LOCK = 'cobalt-refresh';

/**
 * The signed-in session of this device: sign-in, register, sign-out, and access tokens that are
 * valid when they are used.
 *
 * Refresh tokens are single use (rotation): spending one twice makes the server revoke the whole
 * session. So there is at most one refresh in flight per client (one promise), and one per device
 * (the coordinator's lock, across tabs or processes); in token mode a client re-reads the stored
 * session under that lock, and takes a token another client already got instead of spending the
 * old one again.
 */
export class Auth {
  readonly events = new Emitter<AuthEvents>();
  private readonly stateValue = new Value<AuthState>({ status: 'restoring' });
  private stored: StoredSession | null = null;
  private credentials: Credentials | null = null;
  private refreshing: Promise<string> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped whenever a session begins or ends, so an answer that lands late changes nothing. */
  private epoch = 0;
  private tabs: MessageChannelPort | null = null;
  private unsubscribeTabs: (() => void) | null = null;

  constructor(private readonly options: AuthOptions) {}

  get state(): Observable<AuthState> {
    return this.stateValue;
  }

  get user(): User | null {
    const state = this.stateValue.get();
    return state.status === 'signed-in' ? state.user : null;
  }

  get sessionId(): string | null {
    return this.stored?.sessionId ?? null;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * Loads the session kept in storage. It counts as signed in at once, even offline: the first
   * request refreshes the access token when it needs one, and a refusal then ends the session.
   */
  async restore(): Promise<void> {
    if (!this.tabs) {
      this.tabs = this.options.coordinator.channel('cobalt-session');
      this.unsubscribeTabs = this.tabs.subscribe((message) => this.onTabMessage(message as TabMessage));
    }
    const epoch = this.epoch;
    const stored = await this.readStored();
    if (epoch !== this.epoch) return;
    if (!stored) {
      this.stateValue.set({ status: 'signed-out', reason: null });
      return;
    }
    this.install(stored);
  }

  /**
   * Cookie mode: takes up a session this browser holds only as its refresh cookie (it signed in
   * before its session was kept in storage, or the storage was cleared). Resolves false when
   * there is none; rejects with `NETWORK` when the server could not be asked.
   */
  async resumeFromCookie(): Promise<boolean> {
    if (this.stored) return true;
    if (this.options.mode !== 'cookie') return false;
    const epoch = this.epoch;
    let token: string;
    try {
      token = (await this.options.http.request<{ accessToken: string }>('/api/auth/refresh', { method: 'POST', webClient: true })).accessToken;
    } catch (error) {
      if (isRefusal(toCobaltError(error))) return false;
      throw error;
    }
    const user = await this.options.http.request<User>('/api/me', { token });
    if (epoch !== this.epoch || this.stored) return this.stored !== null;
    const stored = { user, sessionId: readAccessClaims(token).sid };
    await this.writeStored(stored);
    this.install(stored, token);
    return true;
  }

  /** Stops timers and tab messages; the session stays stored. */
  close(): void {
    clearTimeout(this.timer);
    this.unsubscribeTabs?.();
    this.tabs?.close();
    this.tabs = null;
  }

  async register(input: RegisterInput): Promise<User> {
    const result = await this.options.http.request<AuthResult>('/api/auth/register', this.authRequest({ ...input }));
    await this.begin(result);
    return result.user;
  }

  async signIn(input: SignInInput): Promise<User> {
    const result = await this.options.http.request<AuthResult>('/api/auth/login', this.authRequest({ ...input }));
    await this.begin(result);
    return result.user;
  }

  /** Begins the session a register or login elsewhere opened (token mode: its refresh token is needed). */
  async adopt(result: AuthResult): Promise<User> {
    if (this.options.mode !== 'token') throw new CobaltError('UNSUPPORTED', 'Only a client in token mode can take up a session opened elsewhere');
    if (!result?.user?.id || !result.sessionId || !result.accessToken || !result.refreshToken)
      throw new CobaltError('VALIDATION_FAILED', 'A session needs user, sessionId, accessToken and refreshToken');
    await this.begin(result);
    return result.user;
  }

  /**
   * Ends the session on the server and here. Resolves `false` when the server could not be told
   * (offline): the session is still forgotten here, and ends on the server when it expires.
   */
  async signOut(): Promise<boolean> {
    const token = this.credentials?.token ?? (await this.accessToken().catch(() => null));
    let told = false;
    if (token) {
      told = await this.options.http
        .request('/api/auth/logout', { method: 'POST', token, webClient: this.options.mode === 'cookie' })
        .then(() => true)
        .catch((error: unknown) => toCobaltError(error).code === 'UNAUTHENTICATED');
    }
    await this.end('signed-out');
    return told;
  }

  /** A token that is valid now, refreshing first when it is about to expire. */
  async accessToken(): Promise<string> {
    if (!this.stored) throw new CobaltError('NOT_SIGNED_IN', 'Not signed in');
    const credentials = this.credentials;
    if (credentials && this.now() < credentials.expiresAt - 5_000) return credentials.token;
    return this.refresh();
  }

  /** Gets a new access token now; at most one request at a time per client and per device. */
  refresh(): Promise<string> {
    this.refreshing ??= this.options.coordinator
      .exclusive(REFRESH_LOCK, () => this.runRefresh())
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /** The server refused `token` (401): refresh, unless another request already did. */
  tokenRejected(token: string): Promise<string> {
    if (this.credentials && this.credentials.token !== token && this.now() < this.credentials.expiresAt - 5_000) return Promise.resolve(this.credentials.token);
    return this.refresh();
  }

  /** A JSON request as the signed-in user: the token is attached, and renewed once on 401. */
  async request<T>(path: string, request: Omit<JsonRequest, 'token'> = {}): Promise<T> {
    const token = await this.accessToken();
    try {
      return await this.options.http.request<T>(path, { ...request, token });
    } catch (error) {
      if (!(error instanceof CobaltError) || error.status !== 401) throw error;
      return this.options.http.request<T>(path, { ...request, token: await this.tokenRejected(token) });
    }
  }

  /** The server said this session was revoked (`session:revoked`): end it if it is ours. */
  revoked(sessionId: string): void {
    if (sessionId === this.stored?.sessionId) void this.end('revoked');
  }

  // -------------------------------------------------------------------------------------------

  private authRequest(body: Record<string, unknown>): JsonRequest {
    const withDevice = this.options.device && body.device === undefined ? { ...body, device: this.options.device } : body;
    return { method: 'POST', body: withDevice, webClient: this.options.mode === 'cookie' };
  }

  private async begin(result: Omit<AuthResult, 'refreshToken'> & { refreshToken?: string }): Promise<void> {
    const stored: StoredSession = { user: result.user, sessionId: result.sessionId };
    if (this.options.mode === 'token') Object.assign(stored, { refreshToken: result.refreshToken, accessToken: result.accessToken });
    await this.writeStored(stored);
    this.install(stored, result.accessToken);
    this.tabs?.post({ type: 'signed-in', sessionId: result.sessionId } satisfies TabMessage);
  }

  /** Becomes the session `stored` describes (with `token` when one is at hand). */
  private install(stored: StoredSession, token = stored.accessToken): void {
    const previous = this.stateValue.get();
    const same = previous.status === 'signed-in' && previous.sessionId === stored.sessionId && previous.user.id === stored.user.id;
    this.stored = stored;
    if (token) this.setToken(token);
    else if (!same) this.credentials = null;
    if (same) return;
    this.epoch++;
    this.stateValue.set({ status: 'signed-in', user: stored.user, sessionId: stored.sessionId });
    this.events.emit('began', { user: stored.user, sessionId: stored.sessionId });
  }

  /** Forgets the session here; `reason` says why (the client decides what local data goes with it). */
  async end(reason: SessionEndReason): Promise<void> {
    const stored = this.stored;
    this.epoch++;
    this.stored = null;
    this.credentials = null;
    clearTimeout(this.timer);
    if (stored && reason !== 'signed-out-elsewhere') await this.deleteStored(stored.sessionId);
    if (this.stateValue.get().status === 'signed-out') return;
    this.stateValue.set({ status: 'signed-out', reason });
    if (stored) {
      if (reason === 'signed-out') this.tabs?.post({ type: 'signed-out', sessionId: stored.sessionId } satisfies TabMessage);
      this.events.emit('ended', { reason, userId: stored.user.id, sessionId: stored.sessionId });
    }
  }

  private async runRefresh(): Promise<string> {
    const epoch = this.epoch;
    const stored = this.stored;
    if (!stored) throw new CobaltError('NOT_SIGNED_IN', 'Not signed in');
    // Another client of this device (tab, process) may have refreshed while this one waited for
    // the lock: its token is good, and ours is spent.
    if (this.options.mode === 'token') {
      const latest = await this.readStored();
      if (epoch !== this.epoch) throw new CobaltError('SESSION_ENDED', 'The session ended');
      if (latest && latest.sessionId === stored.sessionId && latest.refreshToken !== stored.refreshToken && latest.accessToken) {
        const claims = readAccessClaims(latest.accessToken);
        if (claims.exp * 1000 > Date.now() + 30_000 || !latest.refreshToken) {
          this.stored = latest;
          this.setToken(latest.accessToken);
          this.events.emit('token', latest.accessToken);
          return latest.accessToken;
        }
        this.stored = latest;
      }
    }
    let token: string;
    try {
      token = await this.exchange(this.stored ?? stored);
    } catch (error) {
      const err = toCobaltError(error);
      if (epoch !== this.epoch) throw isRefusal(err) ? new CobaltError('SESSION_ENDED', 'The session ended') : err;
      if (isRefusal(err)) await this.end('expired');
      else this.schedule(this.now() + (this.options.retryAfterFailureMs ?? 15_000));
      throw err;
    }
    if (epoch !== this.epoch) throw new CobaltError('SESSION_ENDED', 'The session ended');
    const claims = readAccessClaims(token);
    // Cookie mode: another tab of this browser signed in since, so the cookie is now that
    // session's. Follow it (it may even be another user: the client then switches data).
    if (claims.sid !== stored.sessionId) {
      const user = await this.options.http.request<User>('/api/me', { token });
      if (epoch !== this.epoch) throw new CobaltError('SESSION_ENDED', 'The session ended');
      const next = { user, sessionId: claims.sid };
      await this.writeStored(next);
      this.install(next, token);
    } else this.setToken(token);
    this.events.emit('token', token);
    return token;
  }

  /** One refresh request: the stored token (token mode) or the cookie (cookie mode). */
  private async exchange(stored: StoredSession): Promise<string> {
    if (this.options.mode === 'cookie') {
      const answer = await this.options.http.request<{ accessToken: string }>('/api/auth/refresh', { method: 'POST', webClient: true });
      return answer.accessToken;
    }
    if (!stored.refreshToken) throw new CobaltError('UNAUTHENTICATED', 'No refresh token stored');
    const pair = await this.options.http.request<TokenPair>('/api/auth/refresh', { method: 'POST', body: { refreshToken: stored.refreshToken } });
    const next: StoredSession = { ...stored, refreshToken: pair.refreshToken, accessToken: pair.accessToken };
    // Kept before it is used: a crash now must not leave the device holding only the spent token.
    await this.writeStored(next);
    this.stored = next;
    return pair.accessToken;
  }

  private setToken(token: string): void {
    const claims = readAccessClaims(token);
    const lifetimeMs = Math.max(0, claims.exp - claims.iat) * 1000;
    // A token restored from storage may be old: count its lifetime from its issue time, as far as
    // the local clock allows, but never as more than its whole lifetime from now.
    const remainingMs = Math.min(lifetimeMs, claims.exp * 1000 - Date.now());
    const receivedAt = this.now();
    const leewayMs = Math.min(this.options.refreshLeewayMs ?? 90_000, lifetimeMs / 2);
    this.credentials = { token, sessionId: claims.sid, expiresAt: receivedAt + remainingMs, refreshAt: receivedAt + remainingMs - leewayMs };
    this.schedule(this.credentials.refreshAt);
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), Math.max(1_000, at - this.now()));
    (this.timer as { unref?: () => void }).unref?.();
  }

  private onTabMessage(message: TabMessage): void {
    const mine = this.stored?.sessionId;
    if (message.type === 'signed-out' && message.sessionId === mine) void this.end('signed-out-elsewhere');
    // Another tab signed in: this browser's cookie (and stored session) is now that session's.
    if (message.type === 'signed-in' && message.sessionId !== mine) void this.restore();
  }

  private async readStored(): Promise<StoredSession | null> {
    try {
      return (await this.options.storage.get<StoredSession>(SESSION_KEY)) ?? null;
    } catch (error) {
      throw new CobaltError('STORAGE', 'The session could not be read from storage', { cause: error });
    }
  }

  private async writeStored(stored: StoredSession): Promise<void> {
    try {
      await this.options.storage.set(SESSION_KEY, stored);
    } catch (error) {
      throw new CobaltError('STORAGE', 'The session could not be kept in storage', { cause: error });
    }
  }

  /** Deletes the stored session, unless another client of the device has stored a newer one meanwhile. */
  private async deleteStored(sessionId: string): Promise<void> {
    try {
      const current = await this.options.storage.get<StoredSession>(SESSION_KEY);
      if (!current || current.sessionId === sessionId) await this.options.storage.delete(SESSION_KEY);
    } catch {
      // Nothing more can be done; the server refuses the session anyway.
    }
  }
}
