import { PROTOCOL_VERSION, type ClientToServerEvents, type ErrorBody, type ServerToClientEvents } from '@cobalt/contract';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { env } from '../config/env';
import { SESSION_NOTICES } from './session';
import { createStore } from './store';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type ConnectionStatus =
  | { state: 'stopped' }
  | { state: 'connecting' }
  | { state: 'connected'; instanceId: string }
  | { state: 'reconnecting'; attempt: number }
  | { state: 'offline' };

/** What the connection needs from the session (an interface, so tests can hand in a fake). */
export interface SessionPort {
  readonly sessionId: string | null;
  accessToken(): Promise<string>;
  refresh(): Promise<string>;
  end(notice: string | null): void;
}

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** Handshakes refused this many times in a row although the refresh before each one succeeded end the session. */
const MAX_AUTH_REFUSALS = 3;

/**
 * The tab's Socket.IO connection and the truth about it, for the connection indicator.
 *
 * Transport: WebSocket first, long-polling only if WebSocket cannot be opened. One upgraded
 * request per tab needs no sticky routing, connects in one round trip and shows at once on which
 * instance it sits; the polling fallback (for networks that block WebSocket) is kept on one
 * instance by Caddy's `cobalt_lb` cookie, which the browser sends by itself.
 */
export class LiveConnection {
  readonly socket: LiveSocket;
  readonly status = createStore<ConnectionStatus>({ state: 'stopped' });
  private running = false;
  private offline = false;
  private everConnected = false;
  private authRefusals = 0;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly session: SessionPort,
    options: { url?: string; socketOptions?: Partial<ManagerOptions & SocketOptions> } = {},
  ) {
    const socketOptions: Partial<ManagerOptions & SocketOptions> = {
      path: '/socket.io/',
      autoConnect: false,
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      withCredentials: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      // A function, so every (re)connection presents a token that is valid at that moment.
      auth: (cb) => {
        session.accessToken().then(
          (token) => cb({ token }),
          () => cb({ token: '' }),
        );
      },
      ...options.socketOptions,
    };
    const url = options.url ?? env.VITE_API_URL;
    this.socket = url ? io(url, socketOptions) : io(socketOptions);

    this.socket.on('hello', ({ instanceId, protocol }) => {
      if (protocol !== PROTOCOL_VERSION) console.warn(`Cobalt server speaks protocol ${protocol}, this app ${PROTOCOL_VERSION}`);
      this.everConnected = true;
      this.authRefusals = 0;
      this.retries = 0;
      this.status.set({ state: 'connected', instanceId });
    });
    this.socket.on('disconnect', (reason) => this.onDisconnect(reason));
    this.socket.on('connect_error', (error) => this.onConnectError(error as Error & { data?: ErrorBody }));
    this.socket.io.on('reconnect_attempt', (attempt) => {
      if (this.running && !this.offline) this.status.set({ state: 'reconnecting', attempt });
    });
    this.socket.on('session:revoked', ({ sessionId }) => {
      if (sessionId === this.session.sessionId) this.session.end(SESSION_NOTICES.revoked);
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
    if (navigator.onLine === false) this.onOffline();
    else this.connect();
  }

  stop(): void {
    this.running = false;
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
    this.status.set({ state: 'stopped' });
  }

  private connect(): void {
    if (!this.running || this.offline || this.socket.connected) return;
    clearTimeout(this.retryTimer);
    if (!this.everConnected) this.status.set({ state: 'connecting' });
    this.socket.connect();
  }

  /** Our own retries (Socket.IO does not retry refused handshakes): doubling, up to 30 s. */
  private retrySoon(): void {
    clearTimeout(this.retryTimer);
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.retries++);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  // The browser knows for sure when it has no network; waiting for a ping timeout would leave the
  // indicator saying "connected" for most of a minute. Reconnecting on `online` then resyncs.
  private readonly onOffline = () => {
    this.offline = true;
    this.status.set({ state: 'offline' });
    this.socket.disconnect();
  };

  private readonly onOnline = () => {
    if (!this.offline) return;
    this.offline = false;
    this.status.set(this.everConnected ? { state: 'reconnecting', attempt: 0 } : { state: 'connecting' });
    this.connect();
  };

  private onDisconnect(reason: Socket.DisconnectReason): void {
    if (!this.running || this.offline) return;
    this.status.set({ state: 'reconnecting', attempt: 0 });
    if (reason !== 'io server disconnect') return; // the client reconnects by itself
    // The server closed this socket on purpose: the session was revoked (the `session:revoked`
    // handler has then already signed out) or the server wants a new handshake. A refresh tells
    // which; the session manager signs out when it is refused.
    this.session.refresh().then(
      () => this.connect(),
      () => this.running && this.retrySoon(),
    );
  }

  private onConnectError(error: Error & { data?: ErrorBody }): void {
    if (!this.running || this.offline) return;
    this.status.set(this.everConnected ? { state: 'reconnecting', attempt: 0 } : { state: 'connecting' });
    if (error.data?.code === 'UNAUTHENTICATED') {
      // Refused for the token (it expired while the device slept, or the session is gone). A
      // refused refresh signs out (the session manager does that); a failed one is retried later.
      this.session.refresh().then(
        () => {
          if (++this.authRefusals >= MAX_AUTH_REFUSALS) this.session.end(SESSION_NOTICES.expired);
          else this.connect();
        },
        () => this.running && this.retrySoon(),
      );
      return;
    }
    // Refused by the server for another reason (UNAVAILABLE): try again shortly. Transport errors
    // leave `active` set and are retried by the client's own back-off.
    if (!this.socket.active) this.retrySoon();
  }
}
