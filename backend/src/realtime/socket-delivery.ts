import type { TodoChange } from '@cobalt/contract';
import type { Announcement, Audience, Delivery } from './notifier.js';
import { sessionRoom, userRoom, type SocketServer } from './socket-server.js';

/**
 * The Socket.IO delivery of the domain's notifier: an audience is the user's room (less one
 * session's room), which the Redis adapter reaches on every instance.
 */
export function createSocketDelivery(io: SocketServer): Delivery {
  return {
    deliver(audience: Audience, announcement: Announcement) {
      const room = audience.exceptSessionId ? io.to(userRoom(audience.userId)).except(sessionRoom(audience.exceptSessionId)) : io.to(userRoom(audience.userId));
      if (announcement.kind === 'session:created') room.emit('session:created', { session: announcement.session });
      else if (announcement.kind === 'session:revoked') room.emit('session:revoked', { sessionId: announcement.sessionId });
      else {
        const { type, ...payload } = announcement.change;
        if (type === 'todo:deleted') room.emit(type, payload as Omit<Extract<TodoChange, { type: 'todo:deleted' }>, 'type'>);
        else room.emit(type, payload as Omit<Extract<TodoChange, { type: 'todo:created' }>, 'type'>);
      }
    },
    endSession(_userId: string, sessionId: string) {
      io.in(sessionRoom(sessionId)).disconnectSockets(true);
    },
  };
}
