import type { ApolloClient } from '@apollo/client';
import { toApiError, type ApiError } from '../../../lib/api-error';
import type { TodoGateway } from '../stores/todo-store';
import { createTodo } from './create-todo';
import { deleteTodo } from './delete-todo';
import { getTodos } from './get-todos';
import { updateTodo } from './update-todo';

const RETRY_DELAYS_MS = [250, 750, 2000];
/**
 * How long a retry keeps waiting while the server says an earlier attempt still holds the key
 * (`CONFLICT`, reason `in_progress`): past the server's lease (10 s), when a retry takes over the
 * key of an attempt that died with its instance.
 */
const IN_PROGRESS_WAIT_MS = 15_000;

const isInProgress = (error: ApiError) => error.code === 'CONFLICT' && (error.options.details as { reason?: unknown } | undefined)?.reason === 'in_progress';

/**
 * Sends one write with a fresh `clientMutationId` and, when the answer is lost (network error,
 * or the balancer's 502/503/504 while an instance restarts), sends it again with the same id:
 * the server applies it once and answers every attempt alike. A retry told that an earlier
 * attempt is still in progress waits (its `Retry-After`, else a second) and asks again.
 */
export async function sendOnce<T>(write: (clientMutationId: string) => Promise<T>, delays = RETRY_DELAYS_MS, inProgressWaitMs = IN_PROGRESS_WAIT_MS): Promise<T> {
  const clientMutationId = crypto.randomUUID();
  let retries = 0;
  let waitedInProgress = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await write(clientMutationId);
    } catch (error) {
      const apiError = toApiError(error);
      // Offline, a retry cannot help: let the store roll back and say so at once.
      const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
      if (attempt > 0 && isInProgress(apiError) && !offline) {
        const wait = Math.min((apiError.options.retryAfterSeconds ?? 1) * 1000, inProgressWaitMs);
        if (waitedInProgress + wait > inProgressWaitMs) throw apiError;
        waitedInProgress += wait;
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      const retryable = apiError.code === 'NETWORK' || (apiError.code === 'UNAVAILABLE' && [502, 503, 504].includes(apiError.status ?? 0));
      const delay = delays[retries++];
      if (!retryable || offline || delay === undefined) throw apiError;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The todo store's way to the server: GraphQL queries and mutations. */
export function createGraphqlTodoGateway(client: ApolloClient): TodoGateway {
  return {
    list: () => getTodos(client),
    create: (title) => sendOnce((clientMutationId) => createTodo(client, { title, clientMutationId })),
    update: (input) => sendOnce((clientMutationId) => updateTodo(client, { ...input, clientMutationId })),
    remove: (id) => sendOnce((clientMutationId) => deleteTodo(client, { id, clientMutationId })),
  };
}
