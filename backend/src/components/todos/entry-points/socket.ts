import type { RateLimiter } from '../../../http/rate-limit.js';
import type { Metrics } from '../../../lib/metrics.js';
import { bindSocketEvent, type CobaltServer } from '../../../realtime/socket-server.js';
import type { TodoService } from '../domain/todo-service.js';

/** Socket adapter: each client event is one use case; the ack carries `{data}` or `{error}`. */
export function registerTodoSocketHandlers(io: CobaltServer, todos: TodoService, metrics: Metrics, limiter: RateLimiter): void {
  io.on('connection', (socket) => {
    const bind = (event: string, handler: Parameters<typeof bindSocketEvent>[3]) => bindSocketEvent(socket, event, metrics, handler, limiter);
    bind('todo:create', (identity, payload) => todos.create(identity, payload));
    bind('todo:update', (identity, payload) => todos.update(identity, payload));
    bind('todo:delete', (identity, payload) => todos.remove(identity, payload));
    bind('sync', (identity, payload) => todos.sync(identity, payload));
  });
}
