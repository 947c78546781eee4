import { ApolloArmor } from '@escape.tech/graphql-armor';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import type { ApolloServerPlugin } from '@apollo/server';
import { NoSchemaIntrospectionCustomRule, type DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Metrics } from '../lib/metrics.js';
import type { GraphQLContext } from './context.js';

/** Most tokens one operation may have (checked while parsing, before anything else). */
export const MAX_TOKENS = 2000;

/**
 * Bounds on what one operation may ask for, the same over HTTP and WebSocket: our deepest real
 * query (todos > items > owner > id) has depth 4; anything far beyond the schema's shape is
 * refused before it runs. Introspection is not counted where it is allowed (its standard query is
 * 21 deep); where it is not, a rule refuses it.
 */
export function createOperationLimits(deps: { metrics: Pick<Metrics, 'securityEvents'>; introspection: boolean; isProduction: boolean }) {
  const countRejection = () => deps.metrics.securityEvents.inc({ type: 'graphql_rejected' });
  const counted = { onReject: [countRejection] };
  const armor = new ApolloArmor({
    maxDepth: { n: 8, ignoreIntrospection: deps.introspection, ...counted },
    maxAliases: { n: 10, ...counted },
    maxTokens: { enabled: false }, // see parseWithinTokenLimit
    maxDirectives: { n: 10, ...counted },
    costLimit: { maxCost: 200, ignoreIntrospection: deps.introspection, ...counted },
    blockFieldSuggestion: { enabled: deps.isProduction },
  }).protect();
  return {
    countRejection,
    /** Apollo's own plugins of graphql-armor (the field-suggestion mask). */
    apolloPlugins: armor.plugins as ApolloServerPlugin<GraphQLContext>[],
    /** Rules for Apollo, which adds its own introspection rule. */
    apolloValidationRules: armor.validationRules,
    /** Rules for operations Apollo does not run (graphql-ws). */
    validationRules: [...armor.validationRules, ...(deps.introspection ? [] : [NoSchemaIntrospectionCustomRule])],
    /** In production "Did you mean …" suggestions are masked, as Apollo's plugin does. */
    maskSuggestions: (message: string) => (deps.isProduction ? message.replace(/Did you mean ".+"\?/g, '[Suggestion hidden]').trim() : message),
  };
}

export type OperationLimits = ReturnType<typeof createOperationLimits>;

/** Parses a document with the token limit; throws graphql's syntax error (the limit's message names it). */
export function parseWithinTokenLimit(query: string): DocumentNode {
  return new MaxTokensParserWLexer(query, { n: MAX_TOKENS }).parseDocument();
}

/** Query texts already found within the limit: clients send the same few operations over and over. */
const withinLimit = new LRUCache<string, true>({ maxSize: 1024 * 1024, sizeCalculation: (_value, query) => query.length + 64 });

/** Throws as `parseWithinTokenLimit` does; a text that passed once is not parsed again here (Apollo keeps its own parsed copy). */
export function checkTokenLimit(query: string): void {
  if (withinLimit.has(query)) return;
  parseWithinTokenLimit(query);
  withinLimit.set(query, true);
}
