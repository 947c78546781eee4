import type { Session } from '@cobalt/contract';
import { requireIdentity, requireLive, type GraphQLContext } from '../../../graphql/context.js';
import { EventQueue } from '../../../lib/event-queue.js';
import type { AuthService } from '../domain/auth-service.js';

type SessionEvent = { type: 'CREATED'; sessionId: string; session: Session } | { type: 'REVOKED'; sessionId: string; session: null };

export function createAuthResolvers(auth: AuthService) {
  return {
    Query: {
      me: (_: unknown, __: unknown, ctx: GraphQLContext) => auth.me(requireIdentity(ctx)),
      sessions: (_: unknown, __: unknown, ctx: GraphQLContext) => auth.listSessions(requireIdentity(ctx)),
    },
    Subscription: {
      sessionEvents: {
        subscribe(_: unknown, __: unknown, ctx: GraphQLContext): AsyncIterableIterator<SessionEvent> {
          const { sessionId: own } = requireIdentity(ctx);
          const live = requireLive(ctx);
          let stop = () => undefined as void;
          const queue = new EventQueue<SessionEvent>(() => stop());
          stop = live.follow({
            announce(announcement) {
              if (announcement.kind === 'session:created') {
                const { session } = announcement;
                queue.push({ type: 'CREATED', sessionId: session.id, session: { ...session, current: session.id === own } });
              } else if (announcement.kind === 'session:revoked') queue.push({ type: 'REVOKED', sessionId: announcement.sessionId, session: null });
            },
            // Nothing to catch up on: a client that may have missed one reads `sessions` again.
            resume: () => undefined,
          });
          return queue;
        },
        resolve: (event: SessionEvent) => event,
      },
    },
  };
}
