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

  type Subscription {
    """
    The user's todo changes as they happen, on every instance, each once. With \`since\` (the last
    seq the client holds), first what it missed by the rules of Socket.IO's \`sync\`, then the live
    changes, with no gap and no repeat between the two.
    """
    todoChanges(since: Int): TodoChangeEvent!
    "The user's sessions starting and ending (a sign-in elsewhere, a device signed out)."
    sessionEvents: SessionEvent!
  }

  enum TodoChangeType {
    CREATED
    UPDATED
    DELETED
    RESET
  }

  type TodoChangeEvent {
    type: TodoChangeType!
    "Position in the user's change log; for RESET, the state's."
    seq: Int!
    "The todo's id (CREATED, UPDATED, DELETED)"
    id: ID
    "Its current state (CREATED, UPDATED)"
    todo: Todo
    "RESET only: the full state at \`seq\`; replace what the client holds with it"
    todos: [Todo!]
    "Of the write that made this change, when it had one"
    clientMutationId: String
  }

  enum SessionEventType {
    CREATED
    REVOKED
  }

  type SessionEvent {
    type: SessionEventType!
    sessionId: ID!
    "CREATED only: the new session"
    session: Session
  }
`;
