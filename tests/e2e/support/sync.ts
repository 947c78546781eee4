import type { Page } from 'playwright-core';
import { waitUntil } from './browser';

/**
 * What the offline-first web app shows and does about unsent changes, and what reaches a page over
 * its live connection, read from the page as a user (or the network panel) would.
 */

/** The "N changes not synced yet" line, or null when everything is synced. */
export async function pendingChanges(page: Page): Promise<string | null> {
  // One read, no waiting: the line may go away at any moment.
  const [text] = await page.getByTestId('pending-changes').allTextContents();
  return text ?? null;
}

/** Waits until the service worker controls the page: from then on the app opens without a network. */
export async function waitForServiceWorker(page: Page, timeoutMs = 10_000): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null && navigator.serviceWorker?.controller !== undefined, null, { timeout: timeoutMs });
}

export interface ReceivedChange {
  at: number;
  event: string;
  seq: number;
  clientMutationId?: string;
  title?: string;
}

/**
 * Records every `todo:*` event the page's Socket.IO WebSocket receives, as the browser's network
 * panel shows them (Engine.IO "4" + Socket.IO "2" + JSON). Attach before the page connects.
 */
export function recordChanges(page: Page): ReceivedChange[] {
  const received: ReceivedChange[] = [];
  page.on('websocket', (socket) => {
    if (!socket.url().includes('/socket.io/')) return;
    socket.on('framereceived', ({ payload }) => {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      if (!text.startsWith('42')) return;
      try {
        const [event, body] = JSON.parse(text.slice(2)) as [string, { seq: number; clientMutationId?: string; todo?: { title: string } }];
        if (event.startsWith('todo:')) received.push({ at: Date.now(), event, seq: body.seq, clientMutationId: body.clientMutationId, title: body.todo?.title });
      } catch {
        // not an event frame
      }
    });
  });
  return received;
}

/** Takes the device's network away (or gives it back) and waits for the indicator to say so. */
export async function setDeviceOffline(page: Page, offline: boolean): Promise<void> {
  await page.context().setOffline(offline);
  if (offline) await waitUntil('indicator shows offline', 5_000, async () => (await page.getByTestId('connection-status').getAttribute('data-state')) === 'offline');
}
