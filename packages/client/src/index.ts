/**
 * @cobalt/client: the one implementation of Cobalt's sync protocol (docs/API.md, sections 7 and 8).
 * No DOM-only API is used here; platform pieces come from `@cobalt/client/browser`,
 * `@cobalt/client/node`, or the app (React Native), through the interfaces in `platform/ports`.
 */
export { CobaltClient, TodosApi, createCobaltClient, type ClientEvents, type CobaltClientOptions } from './client.js';
export type { AuthState, CredentialMode, RegisterInput, SessionEndReason, SignInInput } from './auth.js';
export { backoffDelay } from './backoff.js';
export type { ConnectionEvents, ConnectionStatus } from './connection.js';
export { CLIENT_ERROR_CODES, CobaltError, isRetryable, type ClientErrorCode } from './errors.js';
export type { FetchLike } from './http.js';
export { keyedTodoId, randomMutationId } from './ids.js';
export { Value, type Observable } from './observable.js';
export type { Mutation, MutationKind } from './outbox.js';
export { keyValueStorage, localCoordinator, memoryStorage } from './platform/portable.js';
export { alwaysOnline, type AsyncKeyValueStore, type ClientStorage, type Coordinator, type MessageChannelPort, type NetworkMonitor } from './platform/ports.js';
export { TodoReplica, type LiveEventListener, type ReplicaSnapshot } from './replica.js';
export type { MutationOutcome, SenderOptions } from './sender.js';
export type { SyncReason } from './sync.js';
export { EMPTY_TODO_LIST, type SettledMutation, type SyncEvents, type TodoItem, type TodoListState } from './todos.js';
export { socketIoTransport, type LiveTransport, type ServerEvent, type TransportFactory, type TransportOptions, type TransportSignal } from './transport.js';
