import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** What one subscription received, in order. */
export interface RecordingSubscription {
  events: any[];
  errors: unknown[];
  completed: boolean;
  /** Resolves with the first event (already received or to come) that matches. */
  waitFor(match: (event: any) => boolean, timeoutMs?: number): Promise<any>;
  unsubscribe(): void;
}

export interface LiveClient {
  client: Client;
  /** The backend instance that acknowledged the connection (`connection_ack` payload). */
  instance: string;
  ack: Record<string, unknown>;
  socket: WebSocket;
  /** Resolves with the close event once the connection closes. */
  closed: Promise<{ code: number; reason: string }>;
  subscribe(query: string, variables?: Record<string, unknown>): RecordingSubscription;
  dispose(): Promise<void>;
}

export const wsUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;

/**
 * A GraphQL-over-WebSocket client as a consumer would write it: graphql-ws's own client, which
 * implements the graphql-transport-ws protocol independently of the server. No retries, so a test
 * sees every close.
 */
export function connectLive(httpUrl: string, connectionParams: Record<string, unknown>, options: { headers?: Record<string, string> } = {}): Promise<LiveClient> {
  let closedResolve!: (e: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (closedResolve = resolve));
  return new Promise((resolve, reject) => {
    class HeaderSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: options.headers ?? {} });
      }
    }
    const client = createClient({
      url: wsUrl(httpUrl),
      webSocketImpl: HeaderSocket,
      connectionParams,
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => undefined,
      on: {
        connected: (socket, payload) => {
          const ack = payload ?? {};
          resolve({
            client,
            instance: String(ack.instance),
            ack,
            socket: socket as WebSocket,
            closed,
            subscribe: (query, variables) => record(client, query, variables),
            dispose: async () => client.dispose(),
          });
        },
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          closedResolve({ code, reason: String(reason) });
          reject(Object.assign(new Error(`closed ${code} ${String(reason)}`), { code, reason: String(reason) }));
        },
        error: (error) => reject(error instanceof Error ? error : new Error(String(error))),
      },
    });
  });
}

function record(client: Client, query: string, variables?: Record<string, unknown>): RecordingSubscription {
  const waiters = new Set<{ match: (e: any) => boolean; resolve: (e: any) => void }>();
  const sub: RecordingSubscription = {
    events: [],
    errors: [],
    completed: false,
    waitFor(match, timeoutMs = 5000) {
      const found = sub.events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (!waiters.delete(waiter)) return;
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(sub.events).slice(0, 2000)} errors ${JSON.stringify(sub.errors)}`));
        }, timeoutMs);
      });
    },
    unsubscribe: () => stop(),
  };
  const stop = client.subscribe(
    { query, variables },
    {
      next: (value) => {
        sub.events.push(value);
        for (const waiter of [...waiters]) {
          if (!waiter.match(value)) continue;
          waiters.delete(waiter);
          waiter.resolve(value);
        }
      },
      error: (error) => sub.errors.push(error),
      complete: () => (sub.completed = true),
    },
  );
  return sub;
}

/** Closes a connection attempt that must be refused: resolves with its close event. */
export async function expectLiveRefused(httpUrl: string, connectionParams: Record<string, unknown>): Promise<{ code: number; reason: string }> {
  try {
    const live = await connectLive(httpUrl, connectionParams);
    await live.dispose();
  } catch (error) {
    const { code, reason } = error as { code?: number; reason?: string };
    if (typeof code === 'number') return { code, reason: reason ?? '' };
    throw error;
  }
  throw new Error('the connection was accepted');
}
