import { ApolloProvider } from '@apollo/client/react';
import { useEffect, type ReactNode } from 'react';
import { BrowserRouter } from 'react-router';
import { Notifications } from '../components/ui/notifications';
import { apolloClient } from '../lib/apollo-client';
import { clearNotifications } from '../lib/notifications';
import { session } from '../lib/session';

/** Forgets everything the last user saw once the session ends. */
function useForgetOnSignOut() {
  useEffect(
    () =>
      session.state.subscribe(() => {
        if (session.state.getSnapshot().status !== 'signed-out') return;
        clearNotifications();
        void apolloClient.clearStore();
      }),
    [],
  );
}

export function AppProviders({ children }: { children: ReactNode }) {
  useForgetOnSignOut();
  return (
    <ApolloProvider client={apolloClient}>
      <BrowserRouter>
        {children}
        <Notifications />
      </BrowserRouter>
    </ApolloProvider>
  );
}
