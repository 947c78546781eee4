import type { Session, TodoChange } from '@cobalt/contract';

/**
 * How the domain announces changes. The Socket.IO implementation fans out through the Redis
 * adapter to every instance; unit tests pass a recording fake.
 */
export interface RealtimeNotifier {
  todoChanged(userId: string, change: TodoChange): void;
  sessionCreated(userId: string, session: Omit<Session, 'current'>): void;
  /** Tells the user's devices and closes the revoked session's sockets on every instance. */
  sessionRevoked(userId: string, sessionId: string): void;
}
