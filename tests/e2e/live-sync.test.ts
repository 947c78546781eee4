import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addTodo,
  clearCompleted,
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
  waitForTodos,
  type ShownTodo,
} from './support/app';
import { launchBrowser, newDevice, newTab, step, waitUntil } from './support/browser';

const LIVE_MS = 1_000;
const latencies: string[] = [];

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * Does `action` in the `actor` tab and expects `expected` in the `watcher` tab within a second,
 * without a reload. The actor tab is brought to the front first, as a person switches to the tab
 * they work in (Chromium handles input to a background tab slowly).
 */
async function expectLive(name: string, pages: Record<string, Page>, actor: Page, watcher: Page, action: (page: Page) => Promise<void>, expected: ShownTodo[]) {
  await step(name, pages, async () => {
    await actor.bringToFront();
    const started = Date.now();
    await action(actor);
    const acted = Date.now() - started;
    await waitForTodos(watcher, expected, Math.max(LIVE_MS - acted, 0), `other tab, ${acted} ms after the action began,`);
    const total = Date.now() - started;
    expect(total).toBeLessThanOrEqual(LIVE_MS + 50);
    latencies.push(`${name}: ${total} ms`);
  });
}

describe('live sync between tabs in the browser', () => {
  it('when two tabs of one user sit on different backends, then every change in one shows in the other within a second', async () => {
    const device = await newDevice(browser);
    const first = device.page;
    const second = await newTab(device);
    const pages = { 'first tab': first, 'second tab': second };
    const account = newAccount('Tabs');

    const firstInstance = await step('register in the first tab', pages, async () => {
      await register(first, account);
      return connectedInstance(first);
    });
    const secondInstance = await step('open the second tab on another backend', pages, () => landOnAnotherInstance(device, second, firstInstance));
    expect(secondInstance).not.toBe(firstInstance);
    expect(await connectedInstance(first)).toBe(firstInstance);
    // A reload would wipe this; it must still be there at the end.
    await second.evaluate(() => Object.assign(window, { __noReload: true }));

    await expectLive('add in the first tab', pages, first, second, (page) => addTodo(page, 'Buy milk'), [{ title: 'Buy milk', completed: false }]);
    await expectLive('add in the second tab', pages, second, first, (page) => addTodo(page, 'Walk the dog'), [
      { title: 'Buy milk', completed: false },
      { title: 'Walk the dog', completed: false },
    ]);
    await expectLive('add another in the first tab', pages, first, second, (page) => addTodo(page, 'Water the plants'), [
      { title: 'Buy milk', completed: false },
      { title: 'Walk the dog', completed: false },
      { title: 'Water the plants', completed: false },
    ]);
    await expectLive('edit a title in the first tab', pages, first, second, (page) => renameTodo(page, 'Buy milk', 'Buy oat milk'), [
      { title: 'Buy oat milk', completed: false },
      { title: 'Walk the dog', completed: false },
      { title: 'Water the plants', completed: false },
    ]);
    await expectLive('toggle in the first tab', pages, first, second, (page) => todoCheckbox(page, 'Buy oat milk').click(), [
      { title: 'Buy oat milk', completed: true },
      { title: 'Walk the dog', completed: false },
      { title: 'Water the plants', completed: false },
    ]);
    await expectLive('toggle in the second tab', pages, second, first, (page) => todoCheckbox(page, 'Water the plants').click(), [
      { title: 'Buy oat milk', completed: true },
      { title: 'Walk the dog', completed: false },
      { title: 'Water the plants', completed: true },
    ]);
    await expectLive('delete in the first tab', pages, first, second, (page) => deleteTodo(page, 'Walk the dog'), [
      { title: 'Buy oat milk', completed: true },
      { title: 'Water the plants', completed: true },
    ]);
    await expectLive('add one more in the second tab', pages, second, first, (page) => addTodo(page, 'Call the plumber'), [
      { title: 'Buy oat milk', completed: true },
      { title: 'Water the plants', completed: true },
      { title: 'Call the plumber', completed: false },
    ]);
    await expectLive('clear completed in the first tab', pages, first, second, (page) => clearCompleted(page), [{ title: 'Call the plumber', completed: false }]);

    await step('both tabs agree, nothing reloaded, sockets stayed put', pages, async () => {
      expect(await shownTodos(first)).toEqual(await shownTodos(second));
      expect(await second.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
      expect(await connectedInstance(first)).toBe(firstInstance);
      expect(await connectedInstance(second)).toBe(secondInstance);
      expect(await second.getByTestId('items-left').textContent()).toBe('1 item left');
    });
    console.info(`action to other tab (${firstInstance} / ${secondInstance}): ${latencies.join(', ')}`);
    await device.context.close();
  });

  it('when a device goes offline while another changes things, then it catches up once it is back online', async () => {
    const online = await newDevice(browser);
    const offline = await newDevice(browser);
    const pages = { 'online device': online.page, 'offline device': offline.page };
    const account = newAccount('Offline');

    await step('sign in on both devices', pages, async () => {
      await register(online.page, account);
      await addTodo(online.page, 'Pack the bags');
      await addTodo(online.page, 'Book a taxi');
      await signIn(offline.page, account);
      await connectedInstance(online.page);
      await connectedInstance(offline.page);
      await waitForTodos(
        offline.page,
        [
          { title: 'Pack the bags', completed: false },
          { title: 'Book a taxi', completed: false },
        ],
        5_000,
      );
    });

    await step('the offline device says it is offline', pages, async () => {
      await offline.context.setOffline(true);
      await waitUntil('indicator shows offline', 5_000, async () => (await connectionState(offline.page)) === 'offline');
      expect(await offline.page.getByTestId('connection-status').textContent()).toContain('Offline');
    });

    await step('a change made while offline is kept and shown as not synced', pages, async () => {
      await addTodo(offline.page, 'Written offline');
      await waitForTodos(
        offline.page,
        [
          { title: 'Pack the bags', completed: false },
          { title: 'Book a taxi', completed: false },
          { title: 'Written offline', completed: false },
        ],
        5_000,
      );
      expect(await offline.page.getByTestId('pending-changes').textContent()).toContain('1 change not synced yet');
      expect(await offline.page.getByTestId('notification').count()).toBe(0);
    });

    const expected: ShownTodo[] = [
      { title: 'Pack the bags', completed: true },
      { title: 'Renew the passport', completed: false },
      { title: 'Written offline', completed: false },
    ];
    await step('the online device changes things', pages, async () => {
      await todoCheckbox(online.page, 'Pack the bags').click();
      await deleteTodo(online.page, 'Book a taxi');
      await addTodo(online.page, 'Renew passport');
      await waitForTodos(
        online.page,
        [
          { title: 'Pack the bags', completed: true },
          { title: 'Renew passport', completed: false },
        ],
        5_000,
      );
      await renameTodo(online.page, 'Renew passport', 'Renew the passport');
      await waitForTodos(online.page, expected.slice(0, 2), 5_000);
    });

    await step('the offline device has not heard of it', pages, async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await shownTodos(offline.page)).toEqual([
        { title: 'Pack the bags', completed: false },
        { title: 'Book a taxi', completed: false },
        { title: 'Written offline', completed: false },
      ]);
    });

    await step('back online, it reconnects, sends its change, and both converge', pages, async () => {
      await offline.context.setOffline(false);
      await connectedInstance(offline.page, 20_000);
      await waitForTodos(offline.page, expected, 10_000, 'device back online');
      await waitForTodos(online.page, expected, 5_000, 'the other device');
      await offline.page.getByTestId('pending-changes').waitFor({ state: 'detached', timeout: 5_000 });
    });

    await online.context.close();
    await offline.context.close();
  });
});
