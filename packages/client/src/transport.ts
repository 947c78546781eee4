import type { AckResult, ClientToServerEvents, ErrorBody, ServerToClientEvents } from '@cobalt/contract';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

type ServerEventName = keyof ServerToClientEvents;
export type ClientEventName = keyof ClientToServerEvents;

/** One event from the server, typed by the contract. */
export type ServerEvent = { [E in ServerEventName]: { name: E; payload: Parameters<ServerToClientEvents[E]>[0] } }[ServerEventName];

export type RequestPayload<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];
export type RequestAnswer<E extends ClientEventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0] extends AckResult<infer T> ? T : never;

/** What happened to the connection, or what arrived on it. */
export type TransportSignal =
  | { type: 'connect' }
  | { type: 'disconnect'; reason: string }
  /** The handshake was refused (`data` is the server's error body) or the transport failed (no `data`). */
  | { type: 'connect_error'; message: string; data?: ErrorBody }
  | { type: 'reconnect_attempt'; attempt: number }
  | { type: 'event'; event: ServerEvent };

/**
 * The live connection as the SDK uses it: a Socket.IO socket by default (`socketIoTransport`), a
 * fake server in tests. Requests are the contract's client events with an acknowledgement.
 */
export interface LiveTransport {
  readonly connected: boolean;
  /** The transport is retrying by itself (false after the server refused a handshake or said goodbye). */
  readonly reconnecting: boolean;
  open(): void;
  close(): void;
  /** Sends `event` and resolves with its ack; rejects when no ack comes within `timeoutMs` or the connection drops. */
  request<E extends ClientEventName>(event: E, payload: RequestPayload<E>, timeoutMs: number): Promise<AckResult<RequestAnswer<E>>>;
  listen(listener: (signal: TransportSignal) => void): () => void;
}

export interface TransportOptions {
  /** The server's origin, e.g. `http://localhost:8080`; empty for the page's own origin. */
  url: string;
  /** Called at every (re)connection for the handshake's `auth`, so each one presents a fresh token. */
  auth: (reply: (auth: { token: string }) => void) => void;
}

export type TransportFactory = (options: TransportOptions) => LiveTransport;

const SERVER_EVENTS: readonly ServerEventName[] = [
  'hello',
  'todo:created',
  'todo:updated',
  'todo:deleted',
  'session:created',
  'session:revoked',
  'sync:required',
  'presence:changed',
];

/**
 * Socket.IO, WebSocket first and long-polling only when a WebSocket cannot be opened. Polling
 * needs every request of a session on one instance: Caddy pins it with its `cobalt_lb` cookie,
 * which a browser returns by itself and which `withCredentials` makes socket.io-client keep in a
 * cookie jar under Node. Reconnection uses Socket.IO's jittered back-off (±50 %).
 */
export function socketIoTransport(extra: Partial<ManagerOptions & SocketOptions> = {}): TransportFactory {
  return ({ url, auth }) => {
    const options: Partial<ManagerOptions & SocketOptions> = {
      path: '/socket.io/',
      autoConnect: false,
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      withCredentials: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      randomizationFactor: 0.5,
      timeout: 10_000,
      auth: (cb) => auth((value) => cb(value)),
      ...extra,
    };
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = url ? io(url, options) : io(options);
    return {
      get connected() {
        return socket.connected;
      },
      get reconnecting() {
        return socket.active;
      },
      open: () => void socket.connect(),
      close: () => void socket.disconnect(),
      request: (event, payload, timeoutMs) =>
        (socket.timeout(timeoutMs) as unknown as { emitWithAck(event: string, payload: unknown): Promise<AckResult<never>> }).emitWithAck(event, payload),
      listen(listener) {
        const onConnect = () => listener({ type: 'connect' });
        const onDisconnect = (reason: string) => listener({ type: 'disconnect', reason });
        const onError = (error: Error & { data?: ErrorBody }) => listener({ type: 'connect_error', message: error.message, data: error.data });
        const onAttempt = (attempt: number) => listener({ type: 'reconnect_attempt', attempt });
        const onEvent = (name: string, payload: unknown) => {
          if ((SERVER_EVENTS as readonly string[]).includes(name)) listener({ type: 'event', event: { name, payload } as ServerEvent });
        };
        socket.on('connect', onConnect);
        socket.on('disconnect', onDisconnect);
        socket.on('connect_error', onError);
        socket.io.on('reconnect_attempt', onAttempt);
        socket.onAny(onEvent);
        return () => {
          socket.off('connect', onConnect);
          socket.off('disconnect', onDisconnect);
          socket.off('connect_error', onError);
          socket.io.off('reconnect_attempt', onAttempt);
          socket.offAny(onEvent);
        };
      },
    };
  };
}
