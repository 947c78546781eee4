import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { Notifications } from '../components/ui/notifications';

/** Renders `ui` the way the app does: inside a router, with the notification stack. */
export function renderWithRouter(ui: ReactNode, { path = '/' }: { path?: string } = {}) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      {ui}
      <Notifications />
    </MemoryRouter>,
  );
}
