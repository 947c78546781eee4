import DataLoader from 'dataloader';
import type { User } from '@cobalt/contract';
import type { AuthService } from '../components/auth/domain/auth-service.js';
import type { Identity } from '../components/auth/domain/tokens.js';
import { unauthenticated } from '../lib/app-error.js';

export interface GraphQLContext {
  identity?: Identity;
  /** Per-operation loader: every `owner` of a page is fetched in one Postgres query. */
  userLoader: DataLoader<string, User | null>;
}

export function createUserLoader(auth: AuthService): DataLoader<string, User | null> {
  return new DataLoader(async (ids) => {
    const users = await auth.findUsersByIds(ids);
    const byId = new Map(users.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

export function requireIdentity(context: GraphQLContext): Identity {
  if (!context.identity) throw unauthenticated();
  return context.identity;
}

/** GraphQL sends explicit nulls for omitted optional arguments; the domain schemas expect them absent. */
export function withoutNulls(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined));
}
