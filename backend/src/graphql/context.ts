import DataLoader from 'dataloader';
import type { User } from '@cobalt/contract';
import type { AccessTokenVerifier, Identity } from '../lib/identity.js';
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

/** Users by id, for the `owner` field (the auth component's, handed in by the composition root). */
export interface UserLookup {
  findUsersByIds(ids: readonly string[]): Promise<User[]>;
}

/** What GraphQL needs of authentication: tokens checked, and owners looked up. */
export type GraphQLAuth = AccessTokenVerifier & UserLookup;

export function createUserLoader(users: UserLookup): DataLoader<string, User | null> {
  return new DataLoader(async (ids) => {
    const found = await users.findUsersByIds(ids);
    const byId = new Map(found.map((u) => [u.id, u]));
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
