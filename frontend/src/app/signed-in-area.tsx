import { useState } from 'react';
import { Outlet } from 'react-router';
import { TodosProvider } from '../features/todos/components/todos-provider';
import { LiveConnection } from '../lib/live-connection';
import { LiveConnectionProvider } from '../lib/live-connection-context';
import { session } from '../lib/session';
import { AppShell } from './layouts/app-shell';

/**
 * Everything that exists only while signed in: the live connection and the todo replica. It is
 * mounted once per session (keyed by session id), so a new sign-in never sees the last one's data.
 */
export function SignedInArea() {
  const [connection] = useState(() => new LiveConnection(session));
  return (
    <LiveConnectionProvider connection={connection}>
      <TodosProvider>
        <AppShell>
          <Outlet />
        </AppShell>
      </TodosProvider>
    </LiveConnectionProvider>
  );
}
