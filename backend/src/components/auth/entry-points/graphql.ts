import { requireIdentity, type GraphQLContext } from '../../../graphql/context.js';
import type { AuthService } from '../domain/auth-service.js';

export function createAuthResolvers(auth: AuthService) {
  return {
    Query: {
      me: (_: unknown, __: unknown, ctx: GraphQLContext) => auth.me(requireIdentity(ctx)),
      sessions: (_: unknown, __: unknown, ctx: GraphQLContext) => auth.listSessions(requireIdentity(ctx)),
    },
  };
}
