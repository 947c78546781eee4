import type { SocketEvents } from '../../../realtime/socket-events.js';
import type { SocketServer } from '../../../realtime/socket-server.js';
import type { TodoService } from '../domain/todo-service.js';

/** Socket adapter: each client event is one use case; the ack carries `{data}` or `{error}`. */
export function registerTodoSocketHandlers(io: SocketServer, todos: TodoService, events: SocketEvents): void {
  io.on('connection', (socket) => {
    events.bind(socket, 'todo:create', (identity, payload) => todos.create(identity, payload));
    events.bind(socket, 'todo:update', (identity, payload) => todos.update(identity, payload));
    events.bind(socket, 'todo:delete', (identity, payload) => todos.remove(identity, payload));
    events.bind(socket, 'sync', (identity, payload) => todos.sync(identity, payload));
  });
}
