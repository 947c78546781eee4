import type { AuthResult, User } from '@cobalt/contract';
import { env } from '../config/env';
import { ApiError, toApiError } from './api-error';
import { requestJson, type Fetcher } from './http';
import { readAccessClaims, type AccessClaims } from './jwt';
import { createStore } from './store';

/** What register and sign-in return to a browser: the refresh token went into an HttpOnly cookie. */
export type WebAuthResult = Omit<AuthResult, 'refreshToken'>;

export type SessionState =
  | { status: 'restoring' }
  | { status: 'signed-out'; notice: string | null }
  | { status: 'signed-in'; user: User; sessionId: string };

export const SESSION_NOTICES = {
  revoked: 'This device was signed out from another device. Sign in again to continue.',
  expired: 'Your session has ended. Please sign in again.',
  signedOutInOtherTab: 'You signed out in another tab.',
  unreachable: 'Cobalt could not be reached to restore your session. Check your connection, then reload or sign in.',
} as const;

interface Credentials {
  token: string;
  sessionId: string;
  /** Local clock times, computed from the token's lifetime so a skewed clock does not matter. */
  expiresAt: number;
  refreshAt: number;
}

type TabMessage = { type: 'signed-in'; sessionId: string } | { type: 'signed-out'; sessionId: string };

const RETRY_AFTER_FAILURE_MS = 15_000;

/**
 * "This browser has signed in before": lets a first visit skip a refresh request that can only
 * fail (and would count against the sign-in rate limit). Holds no secret; the cookie decides.
 */
const HINT_KEY = 'cobalt:has-session';
const hint = {
  get: () => {
    try {
      return localStorage.getItem(HINT_KEY) === '1';
    } catch {
      return true; // storage blocked: just ask the server
    }
  },
  set: (on: boolean) => {
    try {
      if (on) localStorage.setItem(HINT_KEY, '1');
      else localStorage.removeItem(HINT_KEY);
    } catch {
      // storage blocked: nothing to remember
    }
  },
};

/** Failures that mean "this refresh token is no good": unknown, used, expired, revoked, or no cookie at all. */
const isRefusal = (error: ApiError) => error.code === 'UNAUTHENTICATED' || error.code === 'VALIDATION_FAILED';

function withBearer(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

/**
 * The signed-in session of this tab. The access token lives only in this object's memory; the
 * refresh token only in the HttpOnly cookie the backend sets for web clients (`X-Cobalt-Client: web`).
 *
 * - On page load, `start()` trades the cookie for an access token (silent refresh).
 * - The token is refreshed ahead of its expiry, when a tab comes back to the foreground late,
 *   and when the server answers 401.
 * - Refreshes are serialised within the tab (one promise) and across tabs (a Web Lock): tabs share
 *   the cookie, and spending one refresh token twice makes the server revoke the whole session.
 */
export class SessionManager {
  readonly state = createStore<SessionState>({ status: 'restoring' });
  private credentials: Credentials | null = null;
  private refreshing: Promise<string> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped whenever the session begins or ends, so a refresh that lands late changes nothing. */
  private epoch = 0;
  private started = false;
  /** This tab is ending its own session: the server's revocation notice is our own doing. */
  private signingOut = false;
  private channel: BroadcastChannel | null = null;

  constructor(
    private readonly options: {
      fetcher?: Fetcher;
      now?: () => number;
      leewayMs?: number;
    } = {},
  ) {}

  private get fetcher(): Fetcher {
    return this.options.fetcher ?? ((input, init) => fetch(input, init));
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  get sessionId(): string | null {
    return this.credentials?.sessionId ?? null;
  }

  /** Restores the session from the cookie and starts listening to the other tabs. Idempotent. */
  start(): Promise<void> {
    if (this.started) return Promise.resolve();
    this.started = true;
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel('cobalt-session');
      this.channel.onmessage = (event: MessageEvent<TabMessage>) => this.onTabMessage(event.data);
    }
    if (typeof document !== 'undefined') {
      // Timers of background tabs are throttled; catch up as soon as the tab is looked at again.
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible' && this.credentials && this.now() >= this.credentials.refreshAt) void this.refresh().catch(() => undefined);
      });
    }
    return this.restore();
  }

  /** Trades the refresh cookie for a session; signs out quietly when there is none. */
  async restore(): Promise<void> {
    const epoch = this.epoch;
    if (!hint.get()) {
      this.end(null);
      return;
    }
    try {
      const token = await this.exchangeCookie();
      if (epoch === this.epoch) await this.adopt(token);
    } catch (error) {
      if (epoch !== this.epoch) return;
      const err = toApiError(error);
      this.end(isRefusal(err) ? null : SESSION_NOTICES.unreachable);
    }
  }

  /** A successful sign-in or registration in this tab. */
  begin(result: WebAuthResult): void {
    this.install(result.accessToken, result.user);
    this.post({ type: 'signed-in', sessionId: this.credentials?.sessionId ?? result.sessionId });
  }

  /**
   * Runs a sign-out of this device. The server announces the revocation on the socket, maybe
   * before it answers the request; meanwhile that is not news from another device.
   */
  async signOutWith(request: () => Promise<void>): Promise<void> {
    this.signingOut = true;
    try {
      await request();
    } catch (error) {
      this.signingOut = false;
      throw error;
    }
    this.end(null, { broadcast: true });
  }

  /** Forgets the session in this tab. `broadcast` tells the other tabs too (a deliberate sign-out). */
  end(notice: string | null, options: { broadcast?: boolean } = {}): void {
    const sessionId = this.credentials?.sessionId;
    const current = this.state.getSnapshot();
    if (this.signingOut) {
      notice = null;
      options = { broadcast: true };
    }
    this.signingOut = false;
    this.epoch++;
    this.credentials = null;
    clearTimeout(this.timer);
    hint.set(false);
    // A second reason to end (a revocation event after the 401) must not replace the first notice.
    if (current.status === 'signed-out') return;
    this.state.set({ status: 'signed-out', notice });
    if (options.broadcast && sessionId) this.post({ type: 'signed-out', sessionId });
  }

  /** A token that is valid now (refreshing first when it is about to expire). */
  async accessToken(): Promise<string> {
    const credentials = this.credentials;
    if (!credentials) throw new ApiError('UNAUTHENTICATED', 'Not signed in');
    if (this.now() >= credentials.expiresAt - 5_000) return this.refresh();
    return credentials.token;
  }

  /** Gets a new access token with the cookie; at most one request at a time. */
  refresh(): Promise<string> {
    this.refreshing ??= this.runRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** The server refused `token` with 401: refresh, unless another request already did. */
  async tokenRejected(token: string): Promise<string> {
    if (this.credentials && this.credentials.token !== token) return this.credentials.token;
    return this.refresh();
  }

  /** `fetch` with the access token, retried once with a fresh token on 401. Used by REST and GraphQL. */
  readonly authorizedFetch: Fetcher = async (input, init) => {
    const token = await this.accessToken();
    const response = await this.fetcher(input, withBearer(init, token));
    if (response.status !== 401) return response;
    const fresh = await this.tokenRejected(token);
    return this.fetcher(input, withBearer(init, fresh));
  };

  private async runRefresh(): Promise<string> {
    if (!this.credentials) throw new ApiError('UNAUTHENTICATED', 'Not signed in');
    const epoch = this.epoch;
    let token: string;
    try {
      token = await this.exchangeCookie();
    } catch (error) {
      const err = toApiError(error);
      if (epoch === this.epoch) {
        if (isRefusal(err)) this.end(SESSION_NOTICES.expired);
        else this.schedule(this.now() + RETRY_AFTER_FAILURE_MS);
      }
      throw err;
    }
    if (epoch !== this.epoch) throw new ApiError('UNAUTHENTICATED', 'Signed out');
    // Another tab of this browser signed in since: the cookie is now that session's. Follow it.
    if (readAccessClaims(token).sid !== this.credentials?.sessionId) await this.adopt(token);
    else this.setToken(token, readAccessClaims(token));
    return token;
  }

  private async exchangeCookie(): Promise<string> {
    const exchange = async () => (await requestJson<{ accessToken: string }>('/api/auth/refresh', { method: 'POST', webClient: true }, this.fetcher)).accessToken;
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    // Web Locks exist in secure contexts (https, localhost); elsewhere a tab serialises only itself.
    return locks ? await locks.request('cobalt-refresh', exchange) : exchange();
  }

  /** Becomes the session `token` belongs to, asking the server whose it is. */
  private async adopt(token: string): Promise<void> {
    const epoch = this.epoch;
    const user = await requestJson<User>('/api/me', { headers: { authorization: `Bearer ${token}` } }, this.fetcher);
    if (epoch === this.epoch) this.install(token, user);
  }

  private install(token: string, user: User): void {
    const claims = readAccessClaims(token);
    this.epoch++;
    this.setToken(token, claims);
    hint.set(true);
    this.state.set({ status: 'signed-in', user, sessionId: claims.sid });
  }

  private setToken(token: string, claims: AccessClaims): void {
    const lifetimeMs = Math.max(0, claims.exp - claims.iat) * 1000;
    const receivedAt = this.now();
    const leewayMs = Math.min(this.options.leewayMs ?? env.VITE_REFRESH_LEEWAY_SECONDS * 1000, lifetimeMs / 2);
    this.credentials = { token, sessionId: claims.sid, expiresAt: receivedAt + lifetimeMs, refreshAt: receivedAt + lifetimeMs - leewayMs };
    this.schedule(this.credentials.refreshAt);
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), Math.max(1_000, at - this.now()));
  }

  private post(message: TabMessage): void {
    this.channel?.postMessage(message);
  }

  private onTabMessage(message: TabMessage): void {
    const mine = this.credentials?.sessionId;
    if (message.type === 'signed-out' && message.sessionId === mine) this.end(SESSION_NOTICES.signedOutInOtherTab);
    if (message.type === 'signed-in' && message.sessionId !== mine) {
      // Another tab signed in: this browser's cookie now belongs to that session, so follow it.
      this.epoch++;
      void this.restore();
    }
  }
}

export const session = new SessionManager();
