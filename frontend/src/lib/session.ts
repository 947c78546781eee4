import type { AuthState, CobaltClient, SessionEndReason } from '@cobalt/client';
import type { User } from '@cobalt/contract';
import { toApiError } from './api-error';
import { cobalt } from './cobalt';
import { createStore } from './store';

export type SessionState = { status: 'restoring' } | { status: 'signed-out'; notice: string | null } | { status: 'signed-in'; user: User; sessionId: string };

export const SESSION_NOTICES = {
  revoked: 'This device was signed out from another device. Sign in again to continue.',
  expired: 'Your session has ended. Please sign in again.',
  signedOutInOtherTab: 'You signed out in another tab.',
  unreachable: 'Cobalt could not be reached to restore your session. Check your connection, then reload or sign in.',
} as const;

const NOTICE_FOR: Record<SessionEndReason, string | null> = {
  'signed-out': null,
  revoked: SESSION_NOTICES.revoked,
  expired: SESSION_NOTICES.expired,
  'signed-out-elsewhere': SESSION_NOTICES.signedOutInOtherTab,
};

/**
 * "This browser has signed in before": a session from before this browser kept its sessions in
 * IndexedDB may still be in the refresh cookie. Lets a first visit skip a refresh request that can
 * only fail (and would count against the sign-in rate limit). Holds no secret; the cookie decides.
 */
const HINT_KEY = 'cobalt:has-session';
const hint = {
  get: () => {
    try {
      return localStorage.getItem(HINT_KEY) === '1';
    } catch {
      return false;
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

/**
 * The signed-in session as the app's screens see it, over the SDK's: the refresh token stays in
 * the server's HttpOnly cookie (never readable by script), the access token in memory, and who is
 * signed in in IndexedDB, so the app opens signed in, with the last known todos, even offline.
 * Refreshes are one at a time across tabs (the SDK's Web Lock); sign-ins and sign-outs reach the
 * other tabs over a BroadcastChannel.
 */
export class WebSession {
  readonly state = createStore<SessionState>({ status: 'restoring' });
  private started: Promise<void> | null = null;
  /** Until the kept session is restored (or the cookie tried), "signed out" is not news yet. */
  private restoring = true;

  constructor(private readonly client: CobaltClient) {
    client.authState.subscribe((state) => this.follow(state));
  }

  get sessionId(): string | null {
    return this.client.sessionId;
  }

  /** Restores the kept session (no request needed) and follows the SDK's from then on. Idempotent. */
  start(): Promise<void> {
    this.started ??= this.run();
    return this.started;
  }

  private async run(): Promise<void> {
    await this.client.start();
    if (this.client.authState.get().status === 'signed-out' && hint.get()) {
      try {
        if (!(await this.client.resumeSession())) hint.set(false);
      } catch (error) {
        if (toApiError(error).code === 'NETWORK') this.state.set({ status: 'signed-out', notice: SESSION_NOTICES.unreachable });
      }
    }
    this.restoring = false;
    this.follow(this.client.authState.get());
  }

  async signIn(input: { email: string; password: string }): Promise<void> {
    await this.client.signIn(input);
    hint.set(true);
  }

  async register(input: { email: string; password: string; name: string }): Promise<void> {
    await this.client.register(input);
    hint.set(true);
  }

  /** Signs this device out (on the server when it can be reached) and forgets its data here. */
  async signOut(): Promise<void> {
    await this.client.signOut();
  }

  private follow(state: AuthState): void {
    // The screens never flash "signed out" while the session is being restored.
    if (state.status === 'restoring' || (state.status === 'signed-out' && this.restoring)) return;
    if (state.status === 'signed-in') {
      this.state.set({ status: 'signed-in', user: state.user, sessionId: state.sessionId });
      return;
    }
    hint.set(false);
    const current = this.state.getSnapshot();
    // A second reason to end must not replace the first notice.
    if (current.status === 'signed-out' && current.notice !== null) return;
    this.state.set({ status: 'signed-out', notice: state.reason ? NOTICE_FOR[state.reason] : null });
  }
}

export const session = new WebSession(cobalt);
