import { Outlet } from 'react-router';
import { TodosProvider } from '../features/todos/components/todos-provider';
import { AppShell } from './layouts/app-shell';

/**
 * Everything that exists only while signed in. It is mounted once per session (keyed by session
 * id), so a new sign-in never sees the last one's data; the SDK connects while signed in.
 */
export function SignedInArea() {
  return (
    <TodosProvider>
      <AppShell>
        <Outlet />
      </AppShell>
    </TodosProvider>
  );
}
