import { randomUUID } from 'node:crypto';
import type { Ack, ClientToServerEvents } from '@cobalt/contract';
import { AppError, toAppError, toErrorBody } from '../lib/app-error.js';
import type { Identity } from '../lib/identity.js';
import { logUnexpected } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { RateLimiter } from '../lib/rate-limit.js';
import { runWithContext } from '../lib/request-context.js';
import { EventDrain } from './event-drain.js';
import type { CobaltSocket } from './socket-server.js';

/** What a client event's ack carries on success, by the contract. */
export type AckData<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends Ack<infer T> ? T : never;

export type SocketHandler<T> = (identity: Identity, payload: unknown) => Promise<T>;

/**
 * Binds client events to use cases, for every entry point of one Socket.IO server: runs each in a
 * log context, replies through the ack with `{data}` or the contract's `{error}` body, and counts
 * it. A call without an ack function is ignored (nothing runs): every client event of the contract
 * expects an answer. Every client event is metered against its user's budget before it does any
 * work. At shutdown, `drain` refuses new events and waits for the running ones.
 */
export function createSocketEvents(deps: { metrics: Pick<Metrics, 'socketEvents'>; limiter: RateLimiter }) {
  const { metrics, limiter } = deps;
  const inFlight = new EventDrain();

  /** The listener of one event: `event` names the metric's label. */
  const listener =
    <T>(socket: CobaltSocket, event: string, handler: SocketHandler<T>) =>
    (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') {
        metrics.socketEvents.inc({ event, outcome: 'no_ack' });
        return;
      }
      const answer = ack as (body: unknown) => void;
      const { identity } = socket.data;
      inFlight.started();
      void runWithContext({ requestId: randomUUID(), userId: identity.userId, sessionId: identity.sessionId }, async () => {
        try {
          if (inFlight.draining) throw new AppError('UNAVAILABLE', 'This instance is restarting; retry on the next connection', { retryAfterSeconds: 1 });
          await limiter.consume(`user:${identity.userId}`);
          const data = await handler(identity, payload);
          metrics.socketEvents.inc({ event, outcome: 'ok' });
          answer({ data });
        } catch (error) {
          const appError = toAppError(error);
          logUnexpected(appError, { event });
          metrics.socketEvents.inc({ event, outcome: appError.code });
          answer({ error: toErrorBody(appError) });
        } finally {
          inFlight.finished();
        }
      });
    };

  return {
    bind<E extends keyof ClientToServerEvents>(socket: CobaltSocket, event: E, handler: SocketHandler<AckData<E>>): void {
      // The listener takes what the client sent as unknown (the handler validates it), which fits
      // every client event's signature: the event name and the ack's data are what is checked.
      socket.on<keyof ClientToServerEvents>(event, listener(socket, event, handler));
    },

    /**
     * An event the server does not know, sent with an ack, is answered NOT_FOUND (metered like any
     * other) rather than left to the client's timeout.
     */
    answerUnknown(socket: CobaltSocket): void {
      socket.onAny((event: unknown, ...args: unknown[]) => {
        if (typeof event !== 'string' || socket.listenerCount(event) > 0) return;
        const name = event.slice(0, 100);
        listener(socket, 'unknown', async () => {
          throw new AppError('NOT_FOUND', `Unknown event "${name}"`);
        })(args.length > 1 ? args[0] : undefined, args.at(-1));
      });
    },

    /**
     * Shutdown step: new client events are answered `UNAVAILABLE` (the client retries elsewhere
     * with the same clientMutationId), and the events already running get up to `graceMs` to
     * finish, so their outcome is stored and acknowledged before the transports close.
     */
    drain: (graceMs: number): Promise<void> => inFlight.drain(graceMs),
  };
}

export type SocketEvents = ReturnType<typeof createSocketEvents>;
