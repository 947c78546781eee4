/** What an access token proves: which user, on which device session. */
export interface Identity {
  userId: string;
  sessionId: string;
}

/** A verified access token: who, and until when it may be trusted (ms since the epoch). */
export interface VerifiedToken extends Identity {
  expiresAt: number;
}

/**
 * What the transports need of authentication: the auth component implements it, and the
 * composition root (server.ts) hands it to HTTP, GraphQL and Socket.IO.
 */
export interface AccessTokenVerifier {
  /** Verifies an access token and that its session has not been revoked. */
  authenticate(accessToken: string): Promise<Identity>;
  /** The stricter check for long-lived connections (sockets, graphql-ws): the session must still hold. */
  authenticateConnection(accessToken: string): Promise<VerifiedToken>;
}
