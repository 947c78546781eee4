import { PROTOCOL_VERSION } from '@cobalt/contract';
import type { Auth } from './auth.js';
import { backoffDelay } from './backoff.js';
import { Emitter, Value, type Observable } from './observable.js';
import type { NetworkMonitor } from './platform/ports.js';
import type { LiveTransport, ServerEvent, TransportFactory, TransportSignal } from './transport.js';

export type ConnectionStatus =
  { state: 'stopped' } | { state: 'connecting' } | { state: 'connected'; instanceId: string } | { state: 'reconnecting'; attempt: number } | { state: 'offline' };

export interface ConnectionEvents {
  /** The server's `hello`: a new connection is ready (sync now). */
  ready: { instanceId: string };
  /** The connection dropped; requests in flight on it will not be answered. */
  lost: { reason: string };
  /** Every server event, as it arrives. */
  event: ServerEvent;
  /** A connection attempt failed: refused by the server (`code`) or the server could not be reached. */
  failed: { code?: string; message: string };
}

export interface ConnectionOptions {
  url: string;
  auth: Pick<Auth, 'accessToken' | 'refresh' | 'revoked' | 'end' | 'events'>;
  transport: TransportFactory;
  network: NetworkMonitor;
  /** First and longest pause between our own retries of refused handshakes (jittered). */
  retryMinMs?: number;
  retryMaxMs?: number;
  random?: () => number;
}

/** Handshakes refused this many times in a row, although the refresh before each one succeeded, end the session. */
const MAX_AUTH_REFUSALS = 3;

/**
 * The live connection and the truth about it (`status`). Every (re)connection presents a token
 * valid at that moment; a handshake refused for its token triggers a refresh and a new attempt,
 * and one refused for another reason (a store is down) is retried with jittered back-off, doubling
 * up to 30 s. A new access token is handed to the live socket (`auth:refresh`) so it is not
 * dropped when the old one expires. When the device has no network at all the connection is
 * closed at once and opened again when it is back.
 */
export class Connection {
  readonly events = new Emitter<ConnectionEvents>();
  private readonly statusValue = new Value<ConnectionStatus>({ state: 'stopped' });
  private transport: LiveTransport | null = null;
  private unlisten: (() => void)[] = [];
  private running = false;
  private offline = false;
  private everConnected = false;
  private authRefusals = 0;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private ready = false;

  constructor(private readonly options: ConnectionOptions) {}

  get status(): Observable<ConnectionStatus> {
    return this.statusValue;
  }

  /** Connected and greeted by the server: requests can go out. */
  get isReady(): boolean {
    return this.ready && (this.transport?.connected ?? false);
  }

  get live(): LiveTransport | null {
    return this.transport;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const transport = this.options.transport({
      url: this.options.url,
      auth: (reply) => {
        this.options.auth.accessToken().then(
          (token) => reply({ token }),
          () => reply({ token: '' }),
        );
      },
    });
    this.transport = transport;
    this.unlisten = [
      transport.listen((signal) => this.onSignal(signal)),
      this.options.network.subscribe((online) => (online ? this.onOnline() : this.onOffline())),
      this.options.auth.events.on('token', (token) => this.passTokenOn(token)),
    ];
    if (!this.options.network.isOnline()) this.onOffline();
    else this.connect();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.retryTimer);
    for (const off of this.unlisten) off();
    this.unlisten = [];
    this.transport?.close();
    this.transport = null;
    this.ready = false;
    this.statusValue.set({ state: 'stopped' });
  }

  private connect(): void {
    const transport = this.transport;
    if (!this.running || this.offline || !transport || transport.connected) return;
    clearTimeout(this.retryTimer);
    if (!this.everConnected) this.statusValue.set({ state: 'connecting' });
    transport.open();
  }

  private retrySoon(): void {
    clearTimeout(this.retryTimer);
    const { retryMinMs = 1_000, retryMaxMs = 30_000, random } = this.options;
    this.retryTimer = setTimeout(() => this.connect(), backoffDelay(this.retries++, { baseMs: retryMinMs, maxMs: retryMaxMs, random }));
  }

  private onSignal(signal: TransportSignal): void {
    switch (signal.type) {
      case 'connect':
        return;
      case 'event':
        return this.onEvent(signal.event);
      case 'disconnect':
        return this.onDisconnect(signal.reason);
      case 'connect_error':
        this.events.emit('failed', { code: signal.data?.code, message: signal.message });
        return this.onConnectError(signal.data?.code);
      case 'reconnect_attempt':
        if (this.running && !this.offline) this.statusValue.set({ state: 'reconnecting', attempt: signal.attempt });
    }
  }

  private onEvent(event: ServerEvent): void {
    if (event.name === 'hello') {
      if (event.payload.protocol !== PROTOCOL_VERSION) console.warn(`Cobalt server speaks protocol ${event.payload.protocol}, this client ${PROTOCOL_VERSION}`);
      this.everConnected = true;
      this.authRefusals = 0;
      this.retries = 0;
      this.ready = true;
      this.statusValue.set({ state: 'connected', instanceId: event.payload.instanceId });
      this.events.emit('event', event);
      this.events.emit('ready', { instanceId: event.payload.instanceId });
      return;
    }
    if (event.name === 'session:revoked') this.options.auth.revoked(event.payload.sessionId);
    this.events.emit('event', event);
  }

  private onDisconnect(reason: string): void {
    const wasReady = this.ready;
    this.ready = false;
    if (wasReady) this.events.emit('lost', { reason });
    if (!this.running || this.offline) return;
    this.statusValue.set({ state: 'reconnecting', attempt: 0 });
    if (reason !== 'io server disconnect') return; // the transport reconnects by itself
    // The server closed this socket on purpose: the session was revoked (then `session:revoked`
    // has already ended it) or it wants a new handshake. A refresh tells which.
    this.options.auth.refresh().then(
      () => this.connect(),
      () => this.running && this.retrySoon(),
    );
  }

  private onConnectError(code: string | undefined): void {
    if (!this.running || this.offline) return;
    this.statusValue.set(this.everConnected ? { state: 'reconnecting', attempt: 0 } : { state: 'connecting' });
    if (code === 'UNAUTHENTICATED') {
      // Refused for the token (it expired while the device slept, or the session is gone). A
      // refused refresh ends the session (Auth does that); a failed one is retried later.
      this.options.auth.refresh().then(
        () => {
          if (++this.authRefusals >= MAX_AUTH_REFUSALS) void this.options.auth.end('expired');
          else this.connect();
        },
        () => this.running && this.retrySoon(),
      );
      return;
    }
    // Refused by the server for another reason (UNAVAILABLE): the transport does not retry that
    // by itself. Transport failures leave it retrying with its own back-off.
    if (!this.transport?.reconnecting) this.retrySoon();
  }

  private readonly onOffline = () => {
    if (!this.running) return;
    this.offline = true;
    clearTimeout(this.retryTimer);
    this.statusValue.set({ state: 'offline' });
    this.transport?.close();
  };

  private readonly onOnline = () => {
    if (!this.running || !this.offline) return;
    this.offline = false;
    this.statusValue.set(this.everConnected ? { state: 'reconnecting', attempt: 0 } : { state: 'connecting' });
    this.connect();
  };

  /** Keeps the live socket trusted past its token's expiry; if refused, the server closes it and we reconnect. */
  private passTokenOn(token: string): void {
    if (this.isReady) void this.transport?.request('auth:refresh', { token }, 10_000).catch(() => undefined);
  }
}
