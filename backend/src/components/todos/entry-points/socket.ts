import type { Metrics } from '../../../lib/metrics.js';
import { bindSocketEvent, type CobaltServer } from '../../../realtime/socket-server.js';
import type { TodoService } from '../domain/todo-service.js';

/** Socket adapter: each client event is one use case; the ack carries `{data}` or `{error}`. */
export function registerTodoSocketHandlers(io: CobaltServer, todos: TodoService, metrics: Metrics): void {
  io.on('connection', (socket) => {
    bindSocketEvent(socket, 'todo:create', metrics, (identity, payload) => todos.create(identity, payload));
    bindSocketEvent(socket, 'todo:update', metrics, (identity, payload) => todos.update(identity, payload));
    bindSocketEvent(socket, 'todo:delete', metrics, (identity, payload) => todos.remove(identity, payload));
    bindSocketEvent(socket, 'sync', metrics, (identity, payload) => todos.sync(identity, payload));
  });
}
