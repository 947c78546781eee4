import type { Presence } from '@cobalt/contract';

/** Where presence is read from and announced to: the cluster's sockets (Socket.IO with the Redis adapter). */
export interface PresenceRegistry {
  /** Session ids of the user's sockets connected now, on every instance. */
  connectedSessions(userId: string): Promise<string[]>;
  /** Tells the user's watching sockets, on every instance, that one of the user's sockets came or went. */
  announce(userId: string, sessionId: string): void;
}

/**
 * Which of a user's devices are online now. Nothing is stored: the sockets themselves are the
 * truth, so an instance that dies takes its sockets out of the answer with it, and no entry can
 * go stale.
 */
export function createPresenceService(registry: PresenceRegistry) {
  return {
    async online(userId: string): Promise<Presence> {
      const sessions = await registry.connectedSessions(userId);
      return { online: [...new Set(sessions)].sort() };
    },
    /** A socket of the user connected or disconnected. */
    changed(userId: string, sessionId: string): void {
      registry.announce(userId, sessionId);
    },
  };
}

export type PresenceService = ReturnType<typeof createPresenceService>;
