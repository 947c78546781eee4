import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import { ERROR_CODES, type ErrorCode } from '@cobalt/contract';
import { GraphQLError, Kind, OperationTypeNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { RequestHandler } from 'express';
import { identify } from '../http/authenticate.js';
import type { RateLimiter } from '../lib/rate-limit.js';
import { AppError, toAppError } from '../lib/app-error.js';
import { logUnexpected } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { createUserLoader, type GraphQLAuth, type GraphQLContext } from './context.js';
import { checkTokenLimit, type OperationLimits } from './limits.js';

// Apollo's own request errors (syntax, unknown field, bad argument type, a persisted query asked
// for: Cobalt takes none) are input errors.
const PERSISTED_QUERY_CODES = new Set(['PERSISTED_QUERY_NOT_SUPPORTED', 'PERSISTED_QUERY_NOT_FOUND']);
const INPUT_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE', ...PERSISTED_QUERY_CODES]);

/** Apollo's refusals of a request that carry a 4xx status but no code (a persisted query's hash that does not match, say). */
function isRequestRefusal(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Besides the contract's code, an error raised by a field says whose fault it is in the words of
 * graphql-java and Spring for GraphQL (`classification`), which API tools read: a field error
 * comes with a `path`, and without it they cannot tell refused input from a failing server.
 */
const CLASSIFICATION: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'BAD_REQUEST',
  PAYLOAD_TOO_LARGE: 'BAD_REQUEST',
  CONFLICT: 'BAD_REQUEST',
  RATE_LIMITED: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  INVALID_CREDENTIALS: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  UNAVAILABLE: 'INTERNAL_ERROR',
  INTERNAL: 'INTERNAL_ERROR',
};

/** Every GraphQL error carries one of the contract's codes; unknown errors are masked. */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const apolloCode = formatted.extensions?.code;
  if (!(original instanceof AppError) && ((typeof apolloCode === 'string' && INPUT_ERROR_CODES.has(apolloCode)) || isRequestRefusal(original))) {
    const message = typeof apolloCode === 'string' && PERSISTED_QUERY_CODES.has(apolloCode) ? 'Persisted queries are not supported: send the query text' : formatted.message;
    return { message, locations: formatted.locations, extensions: { code: 'VALIDATION_FAILED' } };
  }
  // Errors raised while building the context (a bad token) arrive re-wrapped by Apollo with our code kept.
  if (!(original instanceof AppError) && typeof apolloCode === 'string' && (ERROR_CODES as readonly string[]).includes(apolloCode) && apolloCode !== 'INTERNAL') {
    return { message: formatted.message.replace(/^Context creation failed: /, ''), extensions: { code: apolloCode } };
  }
  const appError = toAppError(original);
  logUnexpected(appError, { path: formatted.path });
  const extensions: Record<string, unknown> = { code: appError.code, classification: CLASSIFICATION[appError.code] };
  if (appError.details !== undefined) extensions.details = appError.details;
  if (appError.retryAfterSeconds !== undefined) extensions.retryAfterSeconds = appError.retryAfterSeconds;
  return { message: appError.message, path: formatted.path, locations: formatted.locations, extensions };
}

/** An operation's first root field: what metrics are labelled by (bounded by the schema), never the client-chosen operation name. */
export function rootFieldOf(operation: OperationDefinitionNode | null | undefined): string {
  const field = operation?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  return field?.kind === Kind.FIELD ? field.name.value : 'unknown';
}

function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, errors }) {
          metrics.graphqlOperations.inc({ operation_type: operation?.operation ?? 'unknown', root_field: rootFieldOf(operation), outcome: errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };
}

/**
 * Token limit, checked before Apollo sees the request: graphql-armor's Apollo plugin for it
 * throws from a parsing hook, which Apollo masks as a 500 (for plain syntax errors too). Here
 * only the limit is enforced, with the contract's 400; syntax errors are left to Apollo.
 */
function maxTokensGuard(onReject: () => void): RequestHandler {
  return (req, res, next) => {
    const query: unknown = (req.body as { query?: unknown } | undefined)?.query ?? req.query.query;
    if (typeof query !== 'string') return next();
    try {
      checkTokenLimit(query);
    } catch (error) {
      const message = (error as Error).message;
      if (/token limit/i.test(message)) {
        onReject();
        res.status(400).json({ errors: [{ message: message.replace(/^Syntax Error: /, ''), extensions: { code: 'VALIDATION_FAILED' } }] });
        return;
      }
    }
    next();
  };
}

/** A request that asks for a persisted query probes for a feature Cobalt does not have: counted as a refused operation. */
function persistedQueryProbePlugin(onProbe: () => void): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          if (errors.some((e) => PERSISTED_QUERY_CODES.has(String(e.extensions?.code)))) onProbe();
        },
      };
    },
  };
}

/** Subscriptions run over the WebSocket (graphql-ws) only: over HTTP one is a client error, not a null field. */
const subscriptionsOverWebSocketPlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return;
        throw new GraphQLError('Subscriptions run over a WebSocket at /graphql (graphql-transport-ws protocol)', {
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        });
      },
    };
  },
};

/**
 * A request refused before execution (syntax, validation or an abuse limit) is the client's
 * fault: answer 400, whichever layer raised it (some limits throw while parsing, which Apollo
 * would otherwise report as 500). A status Apollo chose itself for a refusal stays (405 for a
 * mutation sent with GET). Every answer is `Cache-Control: no-store`, as REST's are (Apollo's own
 * default for GET is only `private, no-cache`).
 */
const inputErrorStatusPlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        response.http.headers.set('cache-control', 'no-store');
        if (response.body.kind !== 'single') return;
        const { errors, data } = response.body.singleResult;
        const status = response.http.status ?? 200;
        if (!(status >= 400 && status < 500) && data === undefined && errors?.length && errors.every((e) => e.extensions?.code === 'VALIDATION_FAILED')) {
          response.http.status = 400;
        }
      },
    };
  },
};

/**
 * A request without a token is parsed and validated before its fields refuse it, so anonymous
 * callers are metered too: per client address, on the same budget a signed-in user gets (signed-in
 * callers are metered per user once their token is checked, in the context).
 */
function anonymousLimit(limiter: RateLimiter): RequestHandler {
  return async (req, res, next) => {
    if (req.headers.authorization !== undefined) return next();
    try {
      await limiter.consume(`ip:${req.ip}`);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'RATE_LIMITED') return next(error);
      res.setHeader('Retry-After', String(error.retryAfterSeconds ?? 1));
      res.status(error.httpStatus).json({ errors: [{ message: error.message, extensions: { code: error.code } }] });
      return;
    }
    next();
  };
}

export async function createGraphQLMiddleware(deps: {
  schema: GraphQLSchema;
  auth: GraphQLAuth;
  perUserLimiter: RateLimiter;
  limits: OperationLimits;
  metrics: Metrics;
  introspection: boolean;
  isProduction: boolean;
}): Promise<{ middleware: RequestHandler[]; stop: () => Promise<void> }> {
  const { limits } = deps;
  const server = new ApolloServer<GraphQLContext>({
    schema: deps.schema,
    introspection: deps.introspection,
    // No automatic persisted queries: no client uses them, and they would let anyone fill the
    // server's query cache. Asking for one is a client error (formatGraphQLError).
    persistedQueries: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // The process owns its signals (main.ts) and stops Apollo in order during shutdown.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: formatGraphQLError,
    validationRules: limits.apolloValidationRules,
    plugins: [
      ...limits.apolloPlugins,
      metricsPlugin(deps.metrics),
      persistedQueryProbePlugin(limits.countRejection),
      subscriptionsOverWebSocketPlugin,
      inputErrorStatusPlugin,
      // Development serves GraphiQL from this server instead (graphiql.ts); Apollo's page loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await server.start();
  const middleware = expressMiddleware(server, {
    context: async ({ req, res }) => {
      try {
        const identity = await identify(deps.auth, req.headers.authorization);
        if (identity) await deps.perUserLimiter.consume(`user:${identity.userId}`);
        return { identity, userLoader: createUserLoader(deps.auth) };
      } catch (error) {
        const appError = toAppError(error);
        if (appError.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
        throw new GraphQLError(appError.message, {
          extensions: { code: appError.code, http: { status: appError.httpStatus } },
        });
      }
    },
  });
  return { middleware: [anonymousLimit(deps.perUserLimiter), maxTokensGuard(limits.countRejection), middleware], stop: () => server.stop() };
}
