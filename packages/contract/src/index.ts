/**
 * The wire contract of Cobalt, shared by the backend, the web app and SDK clients.
 * Everything a client can send or receive is typed here once; docs/API.md describes it in prose.
 */
export const PROTOCOL_VERSION = 1;

/** Closed set of error codes. HTTP status, GraphQL `extensions.code` and socket ack errors all use it. */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export const TITLE_MAX_LENGTH = 500;
/** Longest account name and device name, in characters (Unicode code points, so an emoji counts once). */
export const NAME_MAX_LENGTH = 100;
export const DEVICE_NAME_MAX_LENGTH = 100;
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 100;

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface Todo {
  id: string;
  title: string;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface TodoPage {
  items: Todo[];
  nextCursor: string | null;
}

export interface Session {
  id: string;
  device: string;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}

export interface AuthResult {
  user: User;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/**
 * One entry of a user's change feed. `seq` is per user, only grows and has no gaps: a client that
 * sees one skipped has missed a change and runs `sync`. `clientMutationId` is that of the write
 * that made the change, when it had one: a client confirms its own pending write by it.
 */
export type TodoChange =
  | { type: 'todo:created'; todo: Todo; seq: number; clientMutationId?: string }
  | { type: 'todo:updated'; todo: Todo; seq: number; clientMutationId?: string }
  | { type: 'todo:deleted'; id: string; seq: number; clientMutationId?: string };

export type SyncResult = { seq: number; changes: TodoChange[]; reset?: false } | { seq: number; reset: true; todos: Todo[] };

export type AckResult<T> = { data: T } | { error: ErrorBody };
export type Ack<T> = (result: AckResult<T>) => void;

/**
 * `clientMutationId`: a client-chosen id (8 to 100 of A-Z a-z 0-9 . _ : -). A write retried with
 * the same id is applied once and answered with the first outcome (REST: `Idempotency-Key` header).
 */
export interface CreateTodoInput {
  title: string;
  clientMutationId?: string;
}
export interface UpdateTodoInput {
  id: string;
  title?: string;
  completed?: boolean;
  clientMutationId?: string;
}
export interface DeleteTodoInput {
  id: string;
  clientMutationId?: string;
}

export interface ServerToClientEvents {
  hello: (payload: { instanceId: string; userId: string; protocol: number }) => void;
  'todo:created': (payload: { todo: Todo; seq: number; clientMutationId?: string }) => void;
  'todo:updated': (payload: { todo: Todo; seq: number; clientMutationId?: string }) => void;
  'todo:deleted': (payload: { id: string; seq: number; clientMutationId?: string }) => void;
  'session:created': (payload: { session: Omit<Session, 'current'> }) => void;
  'session:revoked': (payload: { sessionId: string }) => void;
  /**
   * Live events may have been missed: an instance's link to the others (Redis) was down and is
   * back. The client runs `sync {since}` as after a reconnect, after a random pause of up to
   * SYNC_HINT_JITTER_MS so that thousands of clients do not all ask at once.
   */
  'sync:required': (payload: { reason: 'fanout_resumed' }) => void;
  /**
   * A socket of the user connected or disconnected somewhere in the cluster. Sent only to sockets
   * that asked with `presence:watch`; they ask again for the current list.
   */
  'presence:changed': (payload: { sessionId: string }) => void;
}

/** Longest random pause before a client answers `sync:required` with `sync`. */
export const SYNC_HINT_JITTER_MS = 1_000;

/**
 * How long a client waits for a skipped seq before it asks with `sync`. Events of one user can
 * arrive out of order (they travel from different instances), so a gap usually closes by itself
 * within milliseconds; one that stays means a change did not reach this device.
 */
export const SYNC_GAP_GRACE_MS = 1_000;

export interface ClientToServerEvents {
  'todo:create': (payload: CreateTodoInput, ack: Ack<Todo>) => void;
  'todo:update': (payload: UpdateTodoInput, ack: Ack<Todo>) => void;
  'todo:delete': (payload: DeleteTodoInput, ack: Ack<{ id: string }>) => void;
  sync: (payload: { since: number }, ack: Ack<SyncResult>) => void;
  /**
   * Re-authenticates the live socket with a fresh access token of the same session before the
   * current one expires. A socket whose token expires without this is disconnected (transport
   * close) and must reconnect with a fresh token.
   */
  'auth:refresh': (payload: { token: string }, ack: Ack<{ expiresAt: string }>) => void;
  /**
   * Answers the sessions of the user that have a socket connected now, on any instance, and
   * subscribes this socket to `presence:changed` until it disconnects.
   */
  'presence:watch': (payload: Record<string, never>, ack: Ack<Presence>) => void;
}

/** Which of the user's sessions have a live socket now, anywhere in the cluster. */
export interface Presence {
  online: string[];
}

/**
 * The id a create with a `clientMutationId` gives its todo: the first 24 hexadecimal characters of
 * SHA-256(`todo:<userId>:<clientMutationId>`). Every attempt with that key makes the same todo, so a
 * client knows the id of a todo it created while offline, before the server has seen it.
 */
export const keyedTodoIdInput = (userId: string, clientMutationId: string): string => `todo:${userId}:${clientMutationId}`;
export const KEYED_TODO_ID_LENGTH = 24;

/** The events of a user's change feed, as broadcast to that user's sockets. */
export type TodoChangeEvent = TodoChange['type'];
