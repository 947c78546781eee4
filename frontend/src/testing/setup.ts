import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { clearNotifications } from '../lib/notifications';

afterEach(() => {
  cleanup();
  clearNotifications();
});
