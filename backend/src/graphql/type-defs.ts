/** The public GraphQL schema (docs/API.md documents it field by field). */
export const typeDefs = /* GraphQL */ `
  type User {
    id: ID!
    email: String!
    name: String!
  }

  type Todo {
    id: ID!
    title: String!
    completed: Boolean!
    createdAt: String!
    updatedAt: String!
    version: Int!
    owner: User!
  }

  type TodoConnection {
    items: [Todo!]!
    nextCursor: String
  }

  type Session {
    id: ID!
    device: String!
    createdAt: String!
    lastSeenAt: String!
    current: Boolean!
  }

  type Query {
    me: User!
    todos(completed: Boolean, limit: Int, cursor: String): TodoConnection!
    "null when the todo does not exist or belongs to someone else"
    todo(id: ID!): Todo
    sessions: [Session!]!
  }

  type Mutation {
    "clientMutationId: a client-chosen id (8-100 of A-Z a-z 0-9 . _ : -) that makes a retry apply once"
    createTodo(title: String!, clientMutationId: String): Todo!
    updateTodo(id: ID!, title: String, completed: Boolean, clientMutationId: String): Todo!
    deleteTodo(id: ID!, clientMutationId: String): Boolean!
  }
`;
