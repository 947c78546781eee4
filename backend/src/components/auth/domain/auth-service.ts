import type { AuthResult, Session, TokenPair, User } from '@cobalt/contract';
import { AppError, notFound } from '../../../lib/app-error.js';
import type { Metrics } from '../../../lib/metrics.js';
import type { RealtimeNotifier } from '../../../realtime/notifier.js';
import { audit } from '../../audit/audit.js';
import type { SessionRepository, StoredSession } from '../data-access/session-repository.js';
import type { UserRepository } from '../data-access/user-repository.js';
import type { RevocationList } from '../data-access/revocation-list.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import { hashRefreshToken, newRefreshToken, signAccessToken, verifyAccessToken, type Identity, type TokenSettings, type VerifiedToken } from './tokens.js';
import { renameSessionInput, type LoginInput, type RegisterInput } from '../schemas.js';
import { parseInput } from '../../../lib/validation.js';

export interface AuthDependencies {
  users: UserRepository;
  sessions: SessionRepository;
  revocations: RevocationList;
  notifier: RealtimeNotifier;
  metrics: Pick<Metrics, 'securityEvents'>;
  settings: TokenSettings & { refreshTokenTtlDays: number };
}

const toPublicSession = (s: StoredSession): Omit<Session, 'current'> => ({
  id: s.id,
  device: s.device,
  createdAt: s.createdAt.toISOString(),
  lastSeenAt: s.lastSeenAt.toISOString(),
});

export function createAuthService(deps: AuthDependencies) {
  const { users, sessions, revocations, notifier, metrics, settings } = deps;
  const refreshExpiry = () => new Date(Date.now() + settings.refreshTokenTtlDays * 86_400_000);

  async function startSession(user: User, device: string): Promise<AuthResult> {
    const refresh = newRefreshToken();
    const session = await sessions.create({ userId: user.id, device, refreshTokenHash: refresh.hash, refreshExpiresAt: refreshExpiry() });
    notifier.sessionCreated(user.id, toPublicSession(session));
    return {
      user,
      accessToken: signAccessToken({ userId: user.id, sessionId: session.id }, settings),
      refreshToken: refresh.token,
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
      const user = await users.create({ email: input.email, name: input.name, passwordHash: await hashPassword(input.password) });
      audit('user.registered', { userId: user.id });
      return startSession(user, input.device ?? device);
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
      return startSession(user, input.device ?? device);
    },

    async refresh(refreshToken: string): Promise<TokenPair> {
      const stored = await sessions.findRefreshToken(hashRefreshToken(refreshToken));
      const invalid = new AppError('UNAUTHENTICATED', 'Invalid refresh token');
      if (!stored || stored.session.revokedAt) throw invalid;
      if (stored.usedAt) {
        // A used token presented again means it was copied: end the whole session.
        metrics.securityEvents.inc({ type: 'refresh_token_reused' });
        audit('session.refresh_token_reused', { sessionId: stored.sessionId, userId: stored.session.userId });
        await revoke(stored.session.userId, stored.sessionId, 'refresh_token_reused');
        throw invalid;
      }
      if (stored.expiresAt.getTime() <= Date.now()) throw invalid;
      const next = newRefreshToken();
      const rotated = await sessions.rotateRefreshToken({ tokenId: stored.id, sessionId: stored.sessionId, newHash: next.hash, expiresAt: refreshExpiry() });
      if (!rotated) throw invalid;
      audit('session.refreshed', { sessionId: stored.sessionId, userId: stored.session.userId });
      return {
        accessToken: signAccessToken({ userId: stored.session.userId, sessionId: stored.sessionId }, settings),
        refreshToken: next.token,
      };
    },

    logout: (identity: Identity): Promise<void> => revoke(identity.userId, identity.sessionId, 'logout'),

    /** Verifies an access token and that its session has not been revoked. */
    async authenticate(accessToken: string): Promise<Identity> {
      const { userId, sessionId } = verifyAccessToken(accessToken, settings);
      if (await revocations.has(sessionId)) throw new AppError('UNAUTHENTICATED', 'Session has been revoked');
      return { userId, sessionId };
    },

    /** Stricter check for long-lived connections: the session must still exist in Postgres. */
    async authenticateConnection(accessToken: string): Promise<VerifiedToken> {
      const identity = verifyAccessToken(accessToken, settings);
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
