import { createBrowserClient } from '@cobalt/client/browser';
import { env } from '../config/env';
import { thisDeviceName } from './device-name';

/**
 * The app's one Cobalt client (@cobalt/client): the session, the live connection, the todo
 * replica and the outbox of changes not sent yet, kept in IndexedDB and shared by the tabs of this
 * browser. Everything the app knows about the server comes through it.
 */
export const cobalt = createBrowserClient({
  baseUrl: env.VITE_API_URL,
  device: thisDeviceName(),
  syncTimeoutMs: env.VITE_SYNC_TIMEOUT_MS,
  refreshLeewayMs: env.VITE_REFRESH_LEEWAY_SECONDS * 1000,
});
