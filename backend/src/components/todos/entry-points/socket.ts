import type { SocketEvents } from '../../../realtime/socket-events.js';
import type { SocketServer } from '../../../realtime/socket-server.js';
import type { TodoService } from '../domain/todo-service.js';

/** Socket adapter: each client event is one use case; the ack carries `{data}` or `{error}`. */
export function registerTodoSocketHandlers(io: SocketServer, todos: TodoService, events: SocketEvents): void {
  events.handle(io, 'todo:create', (identity, payload) => todos.create(identity, payload));
  events.handle(io, 'todo:update', (identity, payload) => todos.update(identity, payload));
  events.handle(io, 'todo:delete', (identity, payload) => todos.remove(identity, payload));
  events.handle(io, 'sync', (identity, payload) => todos.sync(identity, payload));
}
