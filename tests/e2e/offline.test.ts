import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addTodo,
  connectedInstance,
  connectionState,
  deleteTodo,
  landOnAnotherInstance,
  newAccount,
  register,
  renameTodo,
  shownTodos,
  signIn,
  todoCheckbox,
  todoHeading,
  waitForTodos,
  type ShownTodo,
} from './support/app';
import { launchBrowser, launchPersistentDevice, newDevice, newTab, step, waitUntil } from './support/browser';
import { pendingChanges, recordChanges, setDeviceOffline, waitForServiceWorker } from './support/sync';

/** After reconnecting, another device must have each change within this long. */
const CONVERGE_MS = 2_000;

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('offline first in the browser', () => {
  it('when a device changes things offline and reloads while still offline, then it shows them pending, and once back online another device gets each change once within 2 s', async () => {
    const a = await newDevice(browser);
    const b = await newDevice(browser);
    const heardByB = recordChanges(b.page);
    const pages = { 'device A': a, 'device B': b };
    const account = newAccount('OfflineFirst');

    const instanceA = await step('A registers and adds todos; the service worker takes over', pages, async () => {
      await register(a.page, account);
      for (const title of ['Keep me', 'Rename me', 'Delete me']) await addTodo(a.page, title);
      await waitForTodos(
        a.page,
        ['Keep me', 'Rename me', 'Delete me'].map((title) => ({ title, completed: false })),
        5_000,
      );
      await waitForServiceWorker(a.page);
      return connectedInstance(a.page);
    });

    await step('B signs in on another backend and sees them', pages, async () => {
      await signIn(b.page, account);
      expect(await landOnAnotherInstance(b, b.page, instanceA)).not.toBe(instanceA);
      await waitForTodos(
        b.page,
        ['Keep me', 'Rename me', 'Delete me'].map((title) => ({ title, completed: false })),
        5_000,
      );
    });

    const changedOffline: ShownTodo[] = [
      { title: 'Keep me', completed: true },
      { title: 'Renamed offline', completed: false },
      { title: 'Written offline', completed: false },
    ];
    await step('A goes offline and creates, renames, ticks and deletes', pages, async () => {
      await setDeviceOffline(a.page, true);
      await addTodo(a.page, 'Written offline');
      await renameTodo(a.page, 'Rename me', 'Renamed offline');
      await todoCheckbox(a.page, 'Keep me').click();
      await deleteTodo(a.page, 'Delete me');
      await waitForTodos(a.page, changedOffline, 5_000);
      expect(await pendingChanges(a.page)).toContain('4 changes not synced yet');
      expect(await a.page.getByTestId('notification').count()).toBe(0);
    });

    await step('A reloads, still offline: the app opens from its service worker with the todos and the pending changes', pages, async () => {
      const response = await a.page.reload();
      expect(response?.fromServiceWorker()).toBe(true);
      await todoHeading(a.page).waitFor({ timeout: 10_000 });
      await waitForTodos(a.page, changedOffline, 5_000, 'reloaded offline');
      expect(await pendingChanges(a.page)).toContain('4 changes not synced yet');
      expect(await connectionState(a.page)).toBe('offline');
      expect(await a.page.getByTestId('todo-pending').count()).toBe(3);
    });

    await step('B has heard nothing of it', pages, async () => {
      expect(heardByB.filter((e) => e.clientMutationId && !['Keep me', 'Rename me', 'Delete me'].includes(e.title ?? ''))).toEqual([]);
      expect(await shownTodos(b.page)).toEqual(['Keep me', 'Rename me', 'Delete me'].map((title) => ({ title, completed: false })));
    });

    const before = heardByB.length;
    await step('A is back online: B has every change within 2 s, each once, and A shows nothing pending', pages, async () => {
      const reconnectedAt = Date.now();
      await a.page.context().setOffline(false);
      await waitForTodos(b.page, changedOffline, CONVERGE_MS, 'device B after A reconnected');
      expect(Date.now() - reconnectedAt).toBeLessThanOrEqual(CONVERGE_MS + 100);
      await waitUntil('A has nothing pending', 5_000, async () => (await pendingChanges(a.page)) === null);
      await new Promise((resolve) => setTimeout(resolve, 500)); // room for a duplicate to show up
      const heard = heardByB.slice(before);
      expect(heard.map((e) => e.event).sort()).toEqual(['todo:created', 'todo:deleted', 'todo:updated', 'todo:updated']);
      expect(new Set(heard.map((e) => e.seq)).size).toBe(4);
      expect(new Set(heard.map((e) => e.clientMutationId)).size).toBe(4);
      expect(heard.every((e) => e.clientMutationId)).toBe(true);
      expect(await shownTodos(a.page)).toEqual(changedOffline);
    });

    await a.context.close();
    await b.context.close();
  });

  it('when two devices edit the same todo while offline, then both end with the documented result: other fields kept, the same field as the last write to reach the server', async () => {
    const a = await newDevice(browser);
    const b = await newDevice(browser);
    const pages = { 'device A': a, 'device B': b };
    const account = newAccount('Conflict');

    await step('both devices show the todo', pages, async () => {
      await register(a.page, account);
      await addTodo(a.page, 'Plan the trip');
      await signIn(b.page, account);
      await connectedInstance(b.page);
      await waitForTodos(b.page, [{ title: 'Plan the trip', completed: false }], 5_000);
    });

    await step('both go offline; A renames it, B renames it too and ticks it', pages, async () => {
      await setDeviceOffline(a.page, true);
      await setDeviceOffline(b.page, true);
      await renameTodo(a.page, 'Plan the trip', 'Plan the trip to Porto');
      await renameTodo(b.page, 'Plan the trip', 'Plan the trip to Lisbon');
      await todoCheckbox(b.page, 'Plan the trip to Lisbon').click();
      await waitForTodos(a.page, [{ title: 'Plan the trip to Porto', completed: false }], 5_000);
      await waitForTodos(b.page, [{ title: 'Plan the trip to Lisbon', completed: true }], 5_000);
    });

    await step('B reconnects first, then A: A’s title (the later write) and B’s tick, on both', pages, async () => {
      await b.page.context().setOffline(false);
      await waitUntil('B has sent its changes', 10_000, async () => (await pendingChanges(b.page)) === null);
      await a.page.context().setOffline(false);
      await waitUntil('A has sent its change', 10_000, async () => (await pendingChanges(a.page)) === null);
      const expected = [{ title: 'Plan the trip to Porto', completed: true }];
      await waitForTodos(a.page, expected, 5_000, 'device A');
      await waitForTodos(b.page, expected, 5_000, 'device B');
    });

    await a.context.close();
    await b.context.close();
  });

  it('when two tabs of one browser change things offline, then they share one outbox: each tab shows every change, and each reaches the server once', async () => {
    const device = await newDevice(browser);
    const other = await newDevice(browser);
    const heard = recordChanges(other.page);
    const account = newAccount('TabsOffline');
    await register(device.page, account);
    const second = await newTab(device);
    await second.goto('/');
    await todoHeading(second).waitFor({ timeout: 10_000 });
    await signIn(other.page, account);
    await connectedInstance(other.page);
    const pages = { 'first tab': device.page, 'second tab': second, 'other device': other.page };

    await step('offline, each tab adds one, and both tabs show both as pending', pages, async () => {
      await device.context.setOffline(true);
      await waitUntil('both tabs offline', 5_000, async () => (await connectionState(device.page)) === 'offline' && (await connectionState(second)) === 'offline');
      await addTodo(device.page, 'From the first tab');
      await second.bringToFront();
      await addTodo(second, 'From the second tab');
      const both = [
        { title: 'From the first tab', completed: false },
        { title: 'From the second tab', completed: false },
      ];
      for (const page of [device.page, second]) {
        await waitForTodos(page, both, 5_000);
        await waitUntil('2 pending in each tab', 5_000, async () => (await pendingChanges(page))?.includes('2 changes not synced yet') ?? false);
      }
    });

    await step('back online, the other device hears each change exactly once', pages, async () => {
      await device.context.setOffline(false);
      await waitForTodos(
        other.page,
        [
          { title: 'From the first tab', completed: false },
          { title: 'From the second tab', completed: false },
        ],
        5_000,
      );
      for (const page of [device.page, second]) await waitUntil('nothing pending', 5_000, async () => (await pendingChanges(page)) === null);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(
        heard
          .filter((e) => e.event === 'todo:created')
          .map((e) => e.title)
          .sort(),
      ).toEqual(['From the first tab', 'From the second tab']);
    });

    await device.context.close();
    await other.context.close();
  });

  it('when the browser is closed while offline changes are unsent, then after a restart they are still shown as pending and are delivered once the network is back', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'cobalt-profile-'));
    const other = await newDevice(browser);
    const heard = recordChanges(other.page);
    const account = newAccount('Restart');
    try {
      let device = await launchPersistentDevice(profile);
      await step('sign in, go offline, add a todo, close the browser', { device }, async () => {
        await register(device.page, account);
        await addTodo(device.page, 'Before the restart');
        await waitForTodos(device.page, [{ title: 'Before the restart', completed: false }], 5_000);
        await waitForServiceWorker(device.page);
        await setDeviceOffline(device.page, true);
        await addTodo(device.page, 'Made offline, then the browser closed');
        await waitUntil('1 pending', 5_000, async () => (await pendingChanges(device.page))?.includes('1 change not synced yet') ?? false);
        await device.context.close();
      });

      device = await launchPersistentDevice(profile);
      await step('the browser starts again, still offline: the todos and the pending change are there', { device }, async () => {
        await device.context.setOffline(true);
        await device.page.goto('/');
        await todoHeading(device.page).waitFor({ timeout: 10_000 });
        await waitForTodos(
          device.page,
          [
            { title: 'Before the restart', completed: false },
            { title: 'Made offline, then the browser closed', completed: false },
          ],
          5_000,
        );
        expect(await pendingChanges(device.page)).toContain('1 change not synced yet');
      });

      await step('back online, it goes out once and the other device has it', { device, other }, async () => {
        await signIn(other.page, account);
        await connectedInstance(other.page);
        await device.context.setOffline(false);
        await waitForTodos(
          other.page,
          [
            { title: 'Before the restart', completed: false },
            { title: 'Made offline, then the browser closed', completed: false },
          ],
          5_000,
        );
        await waitUntil('nothing pending', 5_000, async () => (await pendingChanges(device.page)) === null);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(heard.filter((e) => e.title === 'Made offline, then the browser closed').length).toBe(1);
      });
      await device.context.close();
    } finally {
      await other.context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
