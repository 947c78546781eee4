import { useApolloClient } from '@apollo/client/react';
import { useEffect, useState, type ReactNode } from 'react';
import { env } from '../../../config/env';
import { useLiveConnection } from '../../../lib/live-connection-context';
import { notify } from '../../../lib/notifications';
import { bindLiveTodoSync } from '../api/live-todo-sync';
import { createGraphqlTodoGateway } from '../api/todo-gateway';
import { TodoStoreContext } from '../hooks/use-todo-store';
import { TodoStore } from '../stores/todo-store';

/** One todo store per signed-in session, loaded over GraphQL and kept live by the socket. */
export function TodosProvider({ children }: { children: ReactNode }) {
  const client = useApolloClient();
  const connection = useLiveConnection();
  const [store] = useState(() => new TodoStore(createGraphqlTodoGateway(client), (message) => notify(message)));

  useEffect(() => {
    void store.load();
  }, [store]);

  useEffect(() => bindLiveTodoSync(store, connection.socket, env.VITE_SYNC_TIMEOUT_MS), [store, connection]);

  return <TodoStoreContext value={store}>{children}</TodoStoreContext>;
}
