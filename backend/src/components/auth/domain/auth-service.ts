import type { AuthResult, Session, TokenPair, User } from '@cobalt/contract';
import { AppError, notFound } from '../../../lib/app-error.js';
import type { Identity, VerifiedToken } from '../../../lib/identity.js';
import type { Metrics } from '../../../lib/metrics.js';
import { audit } from '../../../lib/audit.js';
import type { SessionRepository, StoredSession } from '../data-access/session-repository.js';
import type { UserRepository } from '../data-access/user-repository.js';
import type { RevocationList } from '../data-access/revocation-list.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import { hashRefreshToken, newRefreshToken, signAccessToken, verifyAccessToken, type TokenSettings } from './tokens.js';
import { renameSessionInput, type LoginInput, type RegisterInput } from '../schemas.js';
import { parseInput } from '../../../lib/validation.js';

/**
 * How the auth service tells a user's devices about their sessions. The realtime notifier
 * (realtime/notifier.ts) implements it; the composition root hands it in.
 */
export interface SessionNotifier {
  sessionCreated(userId: string, session: Omit<Session, 'current'>): void;
  /** Tells the user's devices and closes the revoked session's connections on every instance. */
  sessionRevoked(userId: string, sessionId: string): void;
}

export interface AuthDependencies {
  users: UserRepository;
  sessions: SessionRepository;
  revocations: RevocationList;
  notifier: SessionNotifier;
  metrics: Pick<Metrics, 'securityEvents'>;
  settings: TokenSettings & { refreshTokenTtlDays: number };
}

/**
 * How long after a refresh token's use presenting it again still counts as a race (two tabs that
 * refreshed at the same moment, one of them held up on the way) rather than a replay of a copy.
 * Long enough for network and queueing jitter, short enough that a copy used later is caught.
 */
export const REFRESH_RACE_WINDOW_MS = 2000;

const toPublicSession = (s: StoredSession): Omit<Session, 'current'> => ({
  id: s.id,
  device: s.device,
  createdAt: s.createdAt.toISOString(),
  lastSeenAt: s.lastSeenAt.toISOString(),
});

export function createAuthService(deps: AuthDependencies) {
  const { users, sessions, revocations, notifier, metrics, settings } = deps;
  const refreshExpiry = () => new Date(Date.now() + settings.refreshTokenTtlDays * 86_400_000);

  /** Tokens for a session just stored, announced to the user's other devices. */
  function sessionStarted(user: User, session: StoredSession, refreshToken: string): AuthResult {
    notifier.sessionCreated(user.id, toPublicSession(session));
    return {
      user,
      accessToken: signAccessToken({ userId: user.id, sessionId: session.id }, settings),
      refreshToken,
      sessionId: session.id,
    };
  }

  async function revoke(userId: string, sessionId: string, reason: string): Promise<void> {
    if (await sessions.revoke(sessionId, reason)) {
      await revocations.add(sessionId, settings.accessTokenTtlSeconds);
      notifier.sessionRevoked(userId, sessionId);
      audit('session.revoked', { userId, sessionId, reason });
    }
  }

  return {
    async register(input: RegisterInput, device: string): Promise<AuthResult> {
      const refresh = newRefreshToken();
      // The account and its first session are stored together: a failure leaves neither.
      const { user, session } = await users.createWithFirstSession({
        email: input.email,
        name: input.name,
        passwordHash: await hashPassword(input.password),
        session: { device: input.device ?? device, refreshTokenHash: refresh.hash, refreshExpiresAt: refreshExpiry() },
      });
      audit('user.registered', { userId: user.id });
      return sessionStarted(user, session, refresh.token);
    },

    async login(input: LoginInput, device: string): Promise<AuthResult> {
      const found = await users.findCredentialsByEmail(input.email);
      const valid = found ? await verifyPassword(found.passwordHash, input.password) : (await burnPasswordCheck(input.password), false);
      if (!found || !valid) {
        metrics.securityEvents.inc({ type: 'sign_in_failed' });
        audit('user.sign_in_failed', { reason: found ? 'wrong_password' : 'unknown_email', ...(found ? { userId: found.id } : {}) });
        throw new AppError('INVALID_CREDENTIALS', 'Email or password is incorrect');
      }
      const { passwordHash: _omit, ...user } = found;
      audit('user.signed_in', { userId: user.id });
      const refresh = newRefreshToken();
      const session = await sessions.create({ userId: user.id, device: input.device ?? device, refreshTokenHash: refresh.hash, refreshExpiresAt: refreshExpiry() });
      return sessionStarted(user, session, refresh.token);
    },

    /**
     * Trades a refresh token for a new pair (rotation, atomic: see rotateRefreshToken). A token
     * presented again after its use is told apart by when that use happened:
     * - less than REFRESH_RACE_WINDOW_MS before this request arrived, or while it was in flight
     *   (two tabs refreshing at once, one request held up on its way): a race. The loser gets 401
     *   and nothing is revoked; the winner's new token stands.
     * - earlier: a replay, so the token was copied. The whole session ends.
     * `receivedAt` is when the request arrived, on the monotonic clock (performance.now()).
     */
    async refresh(refreshToken: string, receivedAt: number): Promise<TokenPair> {
      const next = newRefreshToken();
      const attempt = await sessions.rotateRefreshToken({ tokenHash: hashRefreshToken(refreshToken), newHash: next.hash, expiresAt: refreshExpiry(), receivedAt });
      const invalid = new AppError('UNAUTHENTICATED', 'Invalid refresh token');
      if (!attempt.found || attempt.sessionRevoked) throw invalid;
      const { sessionId, userId, usedMsBeforeArrival } = attempt;
      if (usedMsBeforeArrival !== null && usedMsBeforeArrival >= REFRESH_RACE_WINDOW_MS) {
        metrics.securityEvents.inc({ type: 'refresh_token_reused' });
        audit('session.refresh_token_reused', { sessionId, userId });
        await revoke(userId, sessionId, 'refresh_token_reused');
        throw invalid;
      }
      // Not rotated: expired, or lost a race with another rotation of the same token.
      if (!attempt.rotated) throw invalid;
      audit('session.refreshed', { sessionId, userId });
      return { accessToken: signAccessToken({ userId, sessionId }, settings), refreshToken: next.token };
    },

    logout: (identity: Identity): Promise<void> => revoke(identity.userId, identity.sessionId, 'logout'),

    /** Verifies an access token and that its session has not been revoked. */
    async authenticate(accessToken: string): Promise<Identity> {
      const { userId, sessionId } = verifyAccessToken(accessToken, settings);
      if (await revocations.has(sessionId)) throw new AppError('UNAUTHENTICATED', 'Session has been revoked');
      return { userId, sessionId };
    },

    /** Stricter check for long-lived connections: the session must still exist in Postgres. */
    /**
     * A socket lives for hours on the token it connected with, so its session is checked in full:
     * against the revocation mirror when it is complete (no round trip), else in Postgres, which a
     * revocation always reaches, even one made while Redis was away.
     */
    async authenticateConnection(accessToken: string): Promise<VerifiedToken> {
      const identity = verifyAccessToken(accessToken, settings);
      if (revocations.isComplete()) {
        if (await revocations.has(identity.sessionId)) throw new AppError('UNAUTHENTICATED', 'Session has been revoked');
        return identity;
      }
      const session = await sessions.findActive(identity.sessionId);
      if (!session || session.userId !== identity.userId) throw new AppError('UNAUTHENTICATED', 'Session has been revoked');
      return identity;
    },

    async me(identity: Identity): Promise<User> {
      const user = await users.findById(identity.userId);
      if (!user) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
      return user;
    },

    async listSessions(identity: Identity): Promise<Session[]> {
      const active = await sessions.listActive(identity.userId);
      return active.map((s) => ({ ...toPublicSession(s), current: s.id === identity.sessionId }));
    },

    async renameSession(identity: Identity, sessionId: string, input: unknown): Promise<Session> {
      const { device } = parseInput(renameSessionInput, input);
      const session = await sessions.rename(identity.userId, sessionId, device);
      if (!session) throw notFound('Session');
      return { ...toPublicSession(session), current: session.id === identity.sessionId };
    },

    /** Another user's session id answers exactly like a missing one. */
    async revokeSession(identity: Identity, sessionId: string): Promise<void> {
      const session = await sessions.findActiveForUser(identity.userId, sessionId);
      if (!session) throw notFound('Session');
      await revoke(identity.userId, sessionId, identity.sessionId === sessionId ? 'logout' : 'revoked_by_user');
    },

    findUsersByIds: (ids: readonly string[]) => users.findManyByIds(ids),
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
