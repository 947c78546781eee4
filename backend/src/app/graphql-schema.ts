import { makeExecutableSchema } from '@graphql-tools/schema';
import { buildSchema, printSchema, type GraphQLSchema } from 'graphql';
import type { AuthService } from '../components/auth/domain/auth-service.js';
import { createAuthResolvers } from '../components/auth/entry-points/graphql.js';
import type { TodoService } from '../components/todos/domain/todo-service.js';
import { createTodoResolvers } from '../components/todos/entry-points/graphql.js';
import { typeDefs } from './graphql-type-defs.js';

/**
 * The executable schema, shared by Apollo (HTTP) and graphql-ws (WebSocket): the API's type
 * definitions with each component's resolvers.
 */
export function createSchema(deps: { auth: AuthService; todos: TodoService }): GraphQLSchema {
  const auth = createAuthResolvers(deps.auth);
  const todos = createTodoResolvers(deps.todos);
  return makeExecutableSchema({
    typeDefs,
    resolvers: {
      Query: { ...auth.Query, ...todos.Query },
      Mutation: todos.Mutation,
      Subscription: { ...auth.Subscription, ...todos.Subscription },
      Todo: todos.Todo,
    },
  });
}

/** The published SDL (backend/schema.graphql): printed from the type definitions, never written by hand. */
export const schemaSdl = (): string => `${printSchema(buildSchema(typeDefs))}\n`;
