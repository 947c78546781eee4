import { useEffect, type ReactNode } from 'react';
import { BrowserRouter } from 'react-router';
import { Notifications } from '../components/ui/notifications';
import { clearNotifications } from '../lib/notifications';
import { session } from '../lib/session';

/** Forgets the messages the last user saw once the session ends (the SDK forgets their data). */
function useForgetOnSignOut() {
  useEffect(
    () =>
      session.state.subscribe(() => {
        if (session.state.getSnapshot().status === 'signed-out') clearNotifications();
      }),
    [],
  );
}

export function AppProviders({ children }: { children: ReactNode }) {
  useForgetOnSignOut();
  return (
    <BrowserRouter>
      {children}
      <Notifications />
    </BrowserRouter>
  );
}
