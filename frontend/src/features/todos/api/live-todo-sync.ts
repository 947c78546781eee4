import { SYNC_GAP_GRACE_MS, SYNC_HINT_JITTER_MS, type Todo } from '@cobalt/contract';
import { fromErrorBody } from '../../../lib/api-error';
import type { LiveSocket } from '../../../lib/live-connection';
import type { TodoStore } from '../stores/todo-store';

const RETRY_MS = 1_000;

/**
 * Feeds the store from the socket: `todo:*` events as they come, and `sync {since}` after every
 * connect and reconnect (events arriving meanwhile are buffered by the store). A sync that fails
 * or times out is abandoned and asked again while the socket stays up. `sync:required` (live
 * events may have been missed) asks for one sync after a random pause, and so does a seq that
 * stays skipped for SYNC_GAP_GRACE_MS. Returns the unbinding.
 */
export function bindLiveTodoSync(store: TodoStore, socket: LiveSocket, timeoutMs: number, random: () => number = Math.random): () => void {
  let generation = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let hinted: ReturnType<typeof setTimeout> | undefined;
  let gapCheck: ReturnType<typeof setTimeout> | undefined;
  /** No retry, no hinted sync and no gap check pending any more. */
  const cancelPending = () => {
    clearTimeout(retry);
    clearTimeout(hinted);
    clearTimeout(gapCheck);
    hinted = undefined;
    gapCheck = undefined;
  };

  const sync = () => {
    const mine = ++generation;
    cancelPending();
    const since = store.beginSync();
    socket
      .timeout(timeoutMs)
      .emitWithAck('sync', { since })
      .then((answer) => {
        if (mine !== generation) return;
        if ('error' in answer) throw fromErrorBody(answer.error);
        store.completeSync(answer.data);
      })
      .catch(() => {
        if (mine !== generation) return;
        store.abandonSync();
        if (socket.connected) retry = setTimeout(sync, RETRY_MS);
      });
  };

  // Hints arriving while one is already scheduled are folded into it.
  const onSyncRequired = () => {
    if (hinted === undefined) hinted = setTimeout(sync, random() * SYNC_HINT_JITTER_MS);
  };

  const onDisconnect = () => {
    generation++; // an answer can no longer come on this connection
    cancelPending();
    store.abandonSync();
  };
  // A skipped seq usually arrives a moment later (events of one user come from several
  // instances); if it has not within the grace period, a change was missed: sync.
  const watchForGap = () => {
    if (gapCheck !== undefined || !store.hasGap) return;
    gapCheck = setTimeout(() => {
      gapCheck = undefined;
      if (store.hasGap) sync();
    }, SYNC_GAP_GRACE_MS);
  };
  const onCreated = ({ todo, seq }: { todo: Todo; seq: number }) => {
    store.receive({ type: 'todo:created', todo, seq });
    watchForGap();
  };
  const onUpdated = ({ todo, seq }: { todo: Todo; seq: number }) => {
    store.receive({ type: 'todo:updated', todo, seq });
    watchForGap();
  };
  const onDeleted = ({ id, seq }: { id: string; seq: number }) => {
    store.receive({ type: 'todo:deleted', id, seq });
    watchForGap();
  };

  socket.on('connect', sync);
  socket.on('disconnect', onDisconnect);
  socket.on('todo:created', onCreated);
  socket.on('todo:updated', onUpdated);
  socket.on('todo:deleted', onDeleted);
  socket.on('sync:required', onSyncRequired);
  if (socket.connected) sync();

  return () => {
    generation++;
    cancelPending();
    socket.off('connect', sync);
    socket.off('disconnect', onDisconnect);
    socket.off('todo:created', onCreated);
    socket.off('todo:updated', onUpdated);
    socket.off('todo:deleted', onDeleted);
    socket.off('sync:required', onSyncRequired);
  };
}
