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
    createTodo(title: String!): Todo!
    updateTodo(id: ID!, title: String, completed: Boolean): Todo!
    deleteTodo(id: ID!): Boolean!
  }
`;
