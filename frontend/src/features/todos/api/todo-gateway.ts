import type { ApolloClient } from '@apollo/client';
import { toApiError } from '../../../lib/api-error';
import type { TodoGateway } from '../stores/todo-store';
import { createTodo } from './create-todo';
import { deleteTodo } from './delete-todo';
import { getTodos } from './get-todos';
import { updateTodo } from './update-todo';

const RETRY_DELAYS_MS = [250, 750, 2000];

/**
 * Sends one write with a fresh `clientMutationId` and, when the answer is lost (network error,
 * or the balancer's 502/503/504 while an instance restarts), sends it again with the same id:
 * the server applies it once and answers every attempt alike.
 */
export async function sendOnce<T>(write: (clientMutationId: string) => Promise<T>, delays = RETRY_DELAYS_MS): Promise<T> {
  const clientMutationId = crypto.randomUUID();
  for (let attempt = 0; ; attempt++) {
    try {
      return await write(clientMutationId);
    } catch (error) {
      const apiError = toApiError(error);
      const retryable = apiError.code === 'NETWORK' || (apiError.code === 'UNAVAILABLE' && [502, 503, 504].includes(apiError.status ?? 0));
      const delay = delays[attempt];
      // Offline, a retry cannot help: let the store roll back and say so at once.
      const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
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
