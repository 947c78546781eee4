import type { Session } from '@cobalt/contract';
import type { Auth, SessionEndReason } from './auth.js';
import type { Connection } from './connection.js';
import { Value, type Observable } from './observable.js';

/**
 * The user's devices (sessions): list, rename and sign out over REST, and who is online now over
 * the live connection (presence, across every instance).
 */
export class Sessions {
  private readonly presenceValue = new Value<ReadonlySet<string> | null>(null);
  private watchers = 0;
  private asking = false;
  private askAgain = false;
  private offConnection: (() => void)[] = [];

  constructor(
    private readonly auth: Pick<Auth, 'request' | 'sessionId'>,
    private readonly connection: Pick<Connection, 'events' | 'isReady' | 'live'>,
    private readonly endHere: (reason: SessionEndReason) => Promise<void>,
  ) {}

  /** Active sessions, oldest first; `current` marks this device's. */
  list(): Promise<Session[]> {
    return this.auth.request<Session[]>('/api/sessions');
  }

  rename(id: string, device: string): Promise<Session> {
    return this.auth.request<Session>(`/api/sessions/${encodeURIComponent(id)}`, { method: 'PATCH', body: { device } });
  }

  /** Signs a device out. Signing out this device's own session ends it here too. */
  async revoke(id: string): Promise<void> {
    await this.auth.request<void>(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (id === this.auth.sessionId) await this.endHere('signed-out');
  }

  /** Ids of the sessions with a live connection now; `null` while unknown (not watching, or not connected). */
  get presence(): Observable<ReadonlySet<string> | null> {
    return this.presenceValue;
  }

  /** Keeps `presence` current until the returned function is called. */
  watchPresence(): () => void {
    if (this.watchers++ === 0) {
      this.offConnection = [
        this.connection.events.on('ready', () => this.ask()),
        this.connection.events.on('lost', () => this.presenceValue.set(null)),
        this.connection.events.on('event', (event) => {
          if (event.name === 'presence:changed' || event.name === 'session:created' || event.name === 'session:revoked') this.ask();
        }),
      ];
      this.ask();
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--this.watchers > 0) return;
      for (const off of this.offConnection) off();
      this.offConnection = [];
      this.presenceValue.set(null);
    };
  }

  /** One question at a time; news arriving meanwhile asks once more after it. */
  private ask(): void {
    const transport = this.connection.live;
    if (this.watchers === 0 || !transport || !this.connection.isReady) return;
    if (this.asking) {
      this.askAgain = true;
      return;
    }
    this.asking = true;
    transport
      .request('presence:watch', {}, 10_000)
      .then((answer) => {
        if ('data' in answer && this.watchers > 0) this.presenceValue.set(new Set(answer.data.online));
      })
      .catch(() => undefined)
      .finally(() => {
        this.asking = false;
        if (this.askAgain) {
          this.askAgain = false;
          this.ask();
        }
      });
  }
}
