import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@cobalt/contract';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface RecordedEvent {
  event: string;
  payload: any;
}

/** A real Socket.IO client that records every server event it receives. */
export interface RecordingSocket {
  socket: ClientSocket;
  events: RecordedEvent[];
  instanceId: string;
  /** Resolves with the first recorded event matching, waiting up to `timeoutMs`. */
  waitFor(event: string, match?: (payload: any) => boolean, timeoutMs?: number): Promise<any>;
  emitWithAck(event: string, payload: unknown, timeoutMs?: number): Promise<any>;
  close(): void;
}

export async function connectSocket(
  baseUrl: string,
  token: string | undefined,
  options: { transports?: ('polling' | 'websocket')[]; extraHeaders?: Record<string, string> } = {},
): Promise<RecordingSocket> {
  const socket: ClientSocket = io(baseUrl, {
    path: '/socket.io/',
    auth: token === undefined ? {} : { token },
    transports: options.transports ?? ['polling', 'websocket'],
    // In Node, withCredentials enables the client's cookie jar: needed for the balancer's affinity cookie.
    withCredentials: true,
    reconnection: false,
    forceNew: true,
    extraHeaders: options.extraHeaders,
  });
  const events: RecordedEvent[] = [];
  const waiters = new Set<() => void>();
  socket.onAny((event: string, payload: unknown) => {
    events.push({ event, payload });
    for (const check of [...waiters]) check();
  });
  const hello = await new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect within 5 s')), 5000);
    socket.once('hello', (payload) => {
      clearTimeout(timer);
      resolve(payload);
    });
    socket.once('connect_error', (error: Error & { data?: unknown }) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`connect_error: ${error.message}`), { data: error.data }));
    });
  });

  return {
    socket,
    events,
    instanceId: hello.instanceId,
    waitFor(event, match = () => true, timeoutMs = 2000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find((e) => e.event === event && match(e.payload));
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found.payload);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${event} event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.event))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    emitWithAck(event, payload, timeoutMs = 5000) {
      return (socket as any).timeout(timeoutMs).emitWithAck(event, payload);
    },
    close() {
      socket.close();
    },
  };
}

/** Attempts a connection that is expected to be refused; resolves with the connect_error. */
export function expectConnectRefused(baseUrl: string, auth: Record<string, unknown>, extraHeaders?: Record<string, string>): Promise<Error & { data?: any }> {
  const socket = io(baseUrl, { path: '/socket.io/', auth, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('neither connected nor refused within 5 s'));
    }, 5000);
    socket.on('connect', () => {
      clearTimeout(timer);
      socket.close();
      reject(new Error('connection was accepted'));
    });
    socket.on('connect_error', (error) => {
      clearTimeout(timer);
      socket.close();
      resolve(error);
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
