import DataLoader from 'dataloader';
import type { User } from '@cobalt/contract';
import type { AuthService } from '../components/auth/domain/auth-service.js';
import type { Identity } from '../components/auth/domain/tokens.js';
import { AppError, unauthenticated } from '../lib/app-error.js';
import type { Announcement } from '../realtime/notifier.js';

/** What a subscription hears of its connection's announcements (see subscriptions/server.ts). */
export interface LiveFeed {
  announce(announcement: Announcement): void;
  /** Announcements may have been lost: catch up from the store. */
  resume(): void;
}

/** The live connection an operation runs on: only WebSocket operations have one. */
export interface LiveConnection {
  /** Hears the connection's announcements until the returned function is called. */
  follow(feed: LiveFeed): () => void;
}

export interface GraphQLContext {
  identity?: Identity;
  /** Per-operation loader: every `owner` of a page is fetched in one Postgres query. */
  userLoader: DataLoader<string, User | null>;
  live?: LiveConnection;
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

export function requireLive(context: GraphQLContext): LiveConnection {
  if (!context.live) throw new AppError('VALIDATION_FAILED', 'Subscriptions run over a WebSocket at /graphql (graphql-transport-ws protocol)');
  return context.live;
}

/** GraphQL sends explicit nulls for omitted optional arguments; the domain schemas expect them absent. */
export function withoutNulls(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined));
}
