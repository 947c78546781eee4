import { ApolloProvider } from '@apollo/client/react';
import { useState } from 'react';
import { Outlet } from 'react-router';
import { TodosProvider } from '../features/todos/components/todos-provider';
import { createApolloClient } from '../lib/apollo';
import { AppShell } from './layouts/app-shell';

/**
 * Everything that exists only while signed in. It is mounted once per session (keyed by session
 * id), so a new sign-in never sees the last one's data; the SDK connects while signed in, and the
 * GraphQL client (with its cache) lives as long as the session.
 */
export function SignedInArea() {
  const [apollo] = useState(createApolloClient);
  return (
    <ApolloProvider client={apollo}>
      <TodosProvider>
        <AppShell>
          <Outlet />
        </AppShell>
      </TodosProvider>
    </ApolloProvider>
  );
}
