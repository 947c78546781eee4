import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { GraphQLError, OperationTypeNode, execute, getOperationAST, specifiedRules, subscribe, validate, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Identity } from '../../lib/identity.js';
import { bearerToken } from '../../http/authenticate.js';
import type { RateLimiter } from '../../lib/rate-limit.js';
import { AppError, toAppError } from '../../lib/app-error.js';
import { errorFields, logger } from '../../lib/logger.js';
import { runWithContext } from '../../lib/request-context.js';
import type { Metrics } from '../../lib/metrics.js';
import type { LiveChannel } from '../../realtime/live-channel.js';
import { formatGraphQLError, rootFieldOf } from '../apollo.js';
import { createUserLoader, type GraphQLAuth, type GraphQLContext, type LiveFeed } from '../context.js';
import { parseWithinTokenLimit, type OperationLimits } from '../limits.js';
import type { SubscriptionQuota } from './quota.js';

/**
 * Close codes of the graphql-transport-ws protocol Cobalt uses (docs/API.md, "GraphQL subscriptions").
 * 4403 and 1012/1013 are retried by graphql-ws clients (with a fresh token from `connectionParams`),
 * 4401 and 4429 are not.
 */
export const CLOSE = {
  /** Missing, invalid or expired token (at `connection_init`, or when the token expires). */
  forbidden: 4403,
  /** The session was revoked: signed out. */
  revoked: 4401,
  /** Too many requests at `connection_init`. */
  rateLimited: 4429,
  /** A store is down: try again later. */
  tryAgainLater: 1013,
  /** Graceful shutdown: reconnect (through the balancer, to another instance) and resume with `since`. */
  serviceRestart: 1012,
} as const;

type Extra = { socket: WebSocket; request: IncomingMessage };
type WsContext = Context<Record<string, unknown> | undefined, Extra>;

/** What an authenticated connection holds. */
interface Connection {
  identity: Identity;
  token: string;
  expiresAt: number;
  expiry?: NodeJS.Timeout;
  feeds: Set<LiveFeed>;
  stopListening: () => void;
  /** Running subscriptions by operation id: the place each holds in the user's quota, and its root field. */
  subscriptions: Map<string, { place: string; field: string }>;
  ended: boolean;
}

function tokenOf(params: Record<string, unknown> | undefined): string | undefined {
  const token = params?.token;
  if (typeof token === 'string' && token.length > 0 && token.length <= 4096) return token;
  const header = params?.authorization ?? params?.Authorization;
  return typeof header === 'string' && header.length <= 4200 ? bearerToken(header) : undefined;
}

/** A refusal in the contract's shape, for graphql-ws's `error` message. */
const refusal = (error: AppError) => new GraphQLError(error.message, { originalError: error, extensions: { code: error.code } });
/** graphql's own validation errors are the client's: VALIDATION_FAILED, as Apollo reports them over HTTP. */
const invalid = (error: GraphQLError) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'VALIDATION_FAILED' } });

/**
 * GraphQL over WebSocket (graphql-transport-ws, graphql-ws's server) at /graphql, beside Apollo's
 * HTTP endpoint and on the same schema and limits. A connection authenticates in
 * `connection_init`, is trusted as long as its token (a `ping` with `{token}` extends it), and
 * listens to its user's announcements on the live channel; each subscription follows them.
 */
export function createSubscriptionServer(deps: {
  schema: GraphQLSchema;
  instanceId: string;
  auth: GraphQLAuth;
  perUserLimiter: RateLimiter;
  limits: OperationLimits;
  live: LiveChannel;
  quota: SubscriptionQuota;
  /** Subscriptions a user may hold at once (enforced by `quota`; named in its refusal). */
  maxSubscriptionsPerUser: number;
  metrics: Metrics;
  maxPayloadBytes: number;
  isProduction: boolean;
}) {
  const { auth, metrics, limits } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayloadBytes });
  const connections = new Map<WsContext, Connection>();

  const close = (ctx: WsContext, code: number, reason: string) => ctx.extra.socket.close(code, reason.slice(0, 120));
  const closeFor = (error: unknown): [number, string] => {
    const appError = toAppError(error);
    if (appError.code === 'RATE_LIMITED') return [CLOSE.rateLimited, appError.message];
    if (appError.code === 'UNAVAILABLE' || appError.code === 'INTERNAL') return [CLOSE.tryAgainLater, 'A backing service is unavailable, retry shortly'];
    return [CLOSE.forbidden, appError.message];
  };

  function scheduleExpiry(ctx: WsContext, connection: Connection) {
    clearTimeout(connection.expiry);
    // setTimeout holds at most ~24.8 days; tokens live minutes.
    const delay = Math.min(Math.max(connection.expiresAt - Date.now(), 0), 2 ** 31 - 1);
    connection.expiry = setTimeout(() => close(ctx, CLOSE.forbidden, 'Access token expired'), delay);
    connection.expiry.unref();
  }

  /** Its session is revoked: what is queued goes out first (its own REVOKED event), then it closes. */
  function end(ctx: WsContext, connection: Connection) {
    if (connection.ended) return;
    connection.ended = true;
    connection.feeds.clear();
    setTimeout(() => close(ctx, CLOSE.revoked, 'Session has been revoked'), 100).unref();
  }

  function release(connection: Connection, id: string) {
    const subscription = connection.subscriptions.get(id);
    if (!subscription) return;
    connection.subscriptions.delete(id);
    metrics.graphqlSubscriptions.dec({ root_field: subscription.field });
    deps.quota.release(connection.identity.userId, subscription.place);
  }

  const format = (error: unknown) => {
    // A refusal made here carries its AppError, which formatGraphQLError turns into the contract's extensions.
    const original = error instanceof GraphQLError && !error.path && error.originalError instanceof AppError ? error.originalError : error;
    const formatted = formatGraphQLError(error instanceof GraphQLError ? error.toJSON() : { message: String(error) }, original);
    return { ...formatted, message: limits.maskSuggestions(formatted.message) };
  };

  const rootField = (args: ExecutionArgs) => {
    const operation = getOperationAST(args.document, args.operationName);
    return { type: operation?.operation ?? 'unknown', field: rootFieldOf(operation) };
  };

  /** Log lines of an operation carry its request id and user, as an HTTP request's do. */
  const inContext =
    <R>(run: (args: ExecutionArgs) => R) =>
    (args: ExecutionArgs): R => {
      const identity = (args.contextValue as GraphQLContext).identity;
      return runWithContext({ requestId: randomUUID(), userId: identity?.userId, sessionId: identity?.sessionId }, () => run(args));
    };

  const server = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: deps.schema,
      // Internal errors close a socket with a reason; in production it names no detail.
      isProd: deps.isProduction,
      execute: inContext(execute),
      subscribe: inContext(subscribe),
      connectionInitWaitTimeout: 5000,
      async onConnect(ctx) {
        const token = tokenOf(ctx.connectionParams);
        if (!token) {
          close(ctx, CLOSE.forbidden, 'Missing access token');
          return false;
        }
        try {
          // The token's signature first (no store), then the user's budget, then the session.
          const { userId } = await auth.authenticate(token);
          await deps.perUserLimiter.consume(`user:${userId}`);
          const verified = await auth.authenticateConnection(token);
          const connection: Connection = {
            identity: { userId: verified.userId, sessionId: verified.sessionId },
            token,
            expiresAt: verified.expiresAt,
            feeds: new Set(),
            stopListening: () => undefined,
            subscriptions: new Map(),
            ended: false,
          };
          connection.stopListening = await deps.live.listen(userId, {
            sessionId: verified.sessionId,
            announce: (announcement) => {
              for (const feed of connection.feeds) feed.announce(announcement);
            },
            resume: () => {
              for (const feed of connection.feeds) feed.resume();
            },
            end: () => end(ctx, connection),
          });
          connections.set(ctx, connection);
          metrics.graphqlWsConnections.inc(); // onClose takes it off again, whatever happens next
          // Revoked while the connection was being set up: its announcement may have gone by.
          await auth.authenticate(token);
          if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
          scheduleExpiry(ctx, connection);
          return { instance: deps.instanceId, expiresAt: new Date(connection.expiresAt).toISOString() };
        } catch (error) {
          const [code, reason] = closeFor(error);
          if (code === CLOSE.tryAgainLater) logger.warn('graphql-ws connection refused: store unavailable', errorFields(error));
          close(ctx, code, reason);
          return false;
        }
      },
      // A fresh access token of the same session, sent as `{"type":"ping","payload":{"token":"…"}}`,
      // keeps the connection trusted past the old token's expiry.
      async onPing(ctx, payload) {
        const connection = connections.get(ctx);
        const token = tokenOf(payload);
        if (!connection || !token) return;
        try {
          await deps.perUserLimiter.consume(`user:${connection.identity.userId}`);
          const verified = await auth.authenticateConnection(token);
          if (verified.sessionId !== connection.identity.sessionId || verified.userId !== connection.identity.userId)
            throw new AppError('UNAUTHENTICATED', 'Token belongs to another session');
          connection.expiresAt = verified.expiresAt;
          connection.token = token;
          scheduleExpiry(ctx, connection);
        } catch (error) {
          close(ctx, ...closeFor(error));
        }
      },
      async onSubscribe(ctx, id, payload: SubscribePayload) {
        const connection = connections.get(ctx);
        if (!connection || connection.ended) return [refusal(new AppError('UNAUTHENTICATED', 'Session has been revoked'))];
        const { identity } = connection;
        try {
          await deps.perUserLimiter.consume(`user:${identity.userId}`);
        } catch (error) {
          return [refusal(toAppError(error))];
        }
        let document;
        try {
          document = parseWithinTokenLimit(payload.query);
        } catch (error) {
          if (/token limit/i.test((error as Error).message)) limits.countRejection();
          return [new GraphQLError((error as Error).message.replace(/^Syntax Error: (?=.*token limit)/i, ''), { extensions: { code: 'VALIDATION_FAILED' } })];
        }
        const errors = validate(deps.schema, document, [...specifiedRules, ...limits.validationRules]);
        if (errors.length) return errors.map(invalid);
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Unknown or ambiguous operation name', { extensions: { code: 'VALIDATION_FAILED' } })];
        if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
          const place = `${identity.sessionId}:${randomUUID()}`;
          if (!(await deps.quota.acquire(identity.userId, place))) {
            return [refusal(new AppError('RATE_LIMITED', `Too many subscriptions: a user holds at most ${deps.maxSubscriptionsPerUser} at once`))];
          }
          const root = rootFieldOf(operation);
          connection.subscriptions.set(id, { place, field: root });
          metrics.graphqlSubscriptions.inc({ root_field: root });
        }
        const contextValue: GraphQLContext = {
          identity,
          userLoader: createUserLoader(auth),
          live: {
            follow(feed) {
              if (connection.ended) return () => undefined;
              connection.feeds.add(feed);
              return () => connection.feeds.delete(feed);
            },
          },
        };
        return { schema: deps.schema, document, variableValues: payload.variables ?? undefined, operationName: payload.operationName ?? undefined, contextValue };
      },
      onOperation(_ctx, _id, _payload, args, result) {
        const { type, field } = rootField(args);
        const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
        metrics.graphqlOperations.inc({ operation_type: type, root_field: field, outcome: failed ? 'error' : 'ok' });
      },
      onNext(_ctx, _id, _payload, args, result) {
        const { type, field } = rootField(args);
        if (type === 'subscription') metrics.graphqlSubscriptionEvents.inc({ root_field: field });
        if (!result.errors?.length) return;
        return { ...result, errors: result.errors.map(format) };
      },
      onError(_ctx, _id, _payload, errors) {
        return errors.map(format);
      },
      onComplete(ctx, id) {
        const connection = connections.get(ctx);
        if (connection) release(connection, id);
      },
      onClose(ctx) {
        const connection = connections.get(ctx);
        if (!connection) return;
        connections.delete(ctx);
        clearTimeout(connection.expiry);
        connection.stopListening();
        metrics.graphqlWsConnections.dec();
        for (const id of [...connection.subscriptions.keys()]) release(connection, id);
      },
    },
    wss,
  );

  return {
    // A property, not a method: the composition root hands it to the upgrade router on its own.
    handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    /** Shutdown: every connection is closed as a restart, so clients reconnect elsewhere and resume with `since`. */
    async close() {
      for (const ws of wss.clients) ws.close(CLOSE.serviceRestart, 'Server restarting: reconnect and resume with since');
      deps.quota.stop();
      await Promise.resolve(server.dispose()).catch((error: unknown) => logger.debug('graphql-ws dispose failed', errorFields(error)));
    },
  };
}
