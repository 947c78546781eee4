import type { Session, TodoChange } from '@cobalt/contract';
import type { Metrics } from '../lib/metrics.js';

/**
 * How the domain announces changes. The auth service (as its SessionNotifier) and the todo log
 * (as its `announce`) call this one notifier, wired in server.ts; unit tests pass a recording fake.
 */
export interface RealtimeNotifier {
  todoChanged(userId: string, change: TodoChange): void;
  sessionCreated(userId: string, session: Omit<Session, 'current'>): void;
  /** Tells the user's devices and closes the revoked session's connections on every instance. */
  sessionRevoked(userId: string, sessionId: string): void;
}

/** What is announced. */
export type Announcement = { kind: 'todo'; change: TodoChange } | { kind: 'session:created'; session: Omit<Session, 'current'> } | { kind: 'session:revoked'; sessionId: string };

/** Who hears an announcement: every live connection of one user, on every instance, but one session's. */
export interface Audience {
  userId: string;
  exceptSessionId?: string;
}

/**
 * A transport's way to reach connections cluster-wide (Socket.IO rooms through the Redis adapter,
 * graphql-ws subscribers through Redis pub/sub). It only maps an audience onto its own
 * connections: who hears what is decided by the notifier, once for every transport.
 */
export interface Delivery {
  deliver(audience: Audience, announcement: Announcement): void;
  /** Closes the session's live connections, on every instance (its tokens no longer hold). */
  endSession(userId: string, sessionId: string): void;
}

/**
 * The one notifier of the domain: decides the audience of each announcement and hands it to every
 * transport attached. A change made through any API, on any instance, goes out here exactly once.
 */
export function createNotifier(metrics: Pick<Metrics, 'broadcasts'>): RealtimeNotifier & { attach(delivery: Delivery): void } {
  const deliveries: Delivery[] = [];
  const announce = (event: string, audience: Audience, announcement: Announcement) => {
    metrics.broadcasts.inc({ event });
    for (const delivery of deliveries) delivery.deliver(audience, announcement);
  };
  return {
    attach(delivery) {
      deliveries.push(delivery);
    },
    todoChanged(userId, change) {
      announce(change.type, { userId }, { kind: 'todo', change });
    },
    // The new session's own connections know already.
    sessionCreated(userId, session) {
      announce('session:created', { userId, exceptSessionId: session.id }, { kind: 'session:created', session });
    },
    sessionRevoked(userId, sessionId) {
      announce('session:revoked', { userId }, { kind: 'session:revoked', sessionId });
      for (const delivery of deliveries) delivery.endSession(userId, sessionId);
    },
  };
}
