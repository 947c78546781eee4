import { randomUUID } from 'node:crypto';
import type { Ack, ClientToServerEvents } from '@cobalt/contract';
import { AppError, toAppError, toErrorBody } from '../lib/app-error.js';
import type { Identity } from '../lib/identity.js';
import { logUnexpected } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { RateLimiter } from '../lib/rate-limit.js';
import { runWithContext } from '../lib/request-context.js';
import { EventDrain } from './event-drain.js';
import type { CobaltSocket, SocketServer } from './socket-server.js';

/** What a client event's ack carries on success, by the contract. */
export type AckData<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends Ack<infer T> ? T : never;

/** A use case behind a client event; `socket` is the one the event came on. */
export type SocketHandler<T> = (identity: Identity, payload: unknown, socket: CobaltSocket) => Promise<T>;

/** What Socket.IO calls for a client event: `this` is the socket it came on. */
type SharedListener = (this: CobaltSocket, payload: unknown, ack: unknown) => void;

/**
 * Binds client events to use cases, for every entry point of one Socket.IO server: runs each in a
 * log context, replies through the ack with `{data}` or the contract's `{error}` body, and counts
 * it. A call without an ack function is ignored (nothing runs): every client event of the contract
 * expects an answer. Every client event is metered against its user's budget before it does any
 * work. At shutdown, `drain` refuses new events and waits for the running ones.
 *
 * Each event has one listener for all sockets (Socket.IO calls it with the socket as `this`), so an
 * idle socket carries no function of its own per event.
 */
export function createSocketEvents(deps: { metrics: Pick<Metrics, 'socketEvents'>; limiter: RateLimiter }) {
  const { metrics, limiter } = deps;
  const inFlight = new EventDrain();

  /** Runs one client event: `event` names the metric's label. */
  function run<T>(socket: CobaltSocket, event: string, handler: SocketHandler<T>, payload: unknown, ack: unknown): void {
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
        const data = await handler(identity, payload, socket);
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
  }

  /** An event no entry point knows, sent with an ack: answered NOT_FOUND (metered like any other) rather than left to the client's timeout. */
  const unknownEvent = function (this: CobaltSocket, event: unknown, ...args: unknown[]): void {
    if (typeof event !== 'string' || this.listenerCount(event) > 0) return;
    const name = event.slice(0, 100);
    const refuse = async (): Promise<never> => {
      throw new AppError('NOT_FOUND', `Unknown event "${name}"`);
    };
    run(this, 'unknown', refuse, args.length > 1 ? args[0] : undefined, args.at(-1));
  };

  return {
    /** Binds `event` on every socket that connects to `io`, with the one shared listener. */
    handle<E extends keyof ClientToServerEvents>(io: SocketServer, event: E, handler: SocketHandler<AckData<E>>): void {
      const listener: SharedListener = function (payload, ack) {
        run(this, event, handler, payload, ack);
      };
      // The listener takes what the client sent as unknown (the handler validates it), which fits
      // every client event's signature: the event name and the ack's data are what is checked.
      io.on('connection', (socket) => socket.on<keyof ClientToServerEvents>(event, listener));
    },

    answerUnknown(socket: CobaltSocket): void {
      socket.onAny(unknownEvent);
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
