import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTodo, connectedInstance, newAccount, register, shownTitles, signIn, waitForTodos } from './support/app';
import { launchBrowser, newDevice, step, waitUntil } from './support/browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('sessions and accounts in the browser', () => {
  it('when a device is signed out from the devices page, then that device is sent to sign-in with a message', async () => {
    const laptop = await newDevice(browser);
    const phone = await newDevice(browser, { viewport: { width: 390, height: 844 } });
    const pages = { laptop, phone };
    const account = newAccount('Devices');

    await step('sign in on two devices', pages, async () => {
      await register(laptop.page, account);
      await signIn(phone.page, account);
      await connectedInstance(phone.page);
    });

    const sessions = laptop.page.getByTestId('session-item');
    await step('the devices page lists both, this one marked', pages, async () => {
      await laptop.page.getByRole('link', { name: 'Devices' }).click();
      await laptop.page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
      await waitUntil('two sessions listed', 5_000, async () => (await sessions.count()) === 2);
      expect(await sessions.filter({ hasText: 'This device' }).count()).toBe(1);
    });

    await step('sign the other device out', pages, async () => {
      const other = sessions.filter({ hasNotText: 'This device' });
      await other.getByRole('button', { name: /^Sign out/ }).click();
      await waitUntil('one session left', 5_000, async () => (await sessions.count()) === 1);
      expect(await sessions.first().textContent()).toContain('This device');
    });

    await step('the other device is on the sign-in page with the reason', pages, async () => {
      await phone.page.getByRole('heading', { name: 'Welcome back' }).waitFor({ timeout: 5_000 });
      expect(new URL(phone.page.url()).pathname).toBe('/sign-in');
      expect(await phone.page.getByRole('status').filter({ hasText: 'signed out from another device' }).count()).toBe(1);
    });

    await step('and stays signed out after a reload', pages, async () => {
      await phone.page.reload();
      await phone.page.getByRole('heading', { name: 'Welcome back' }).waitFor({ timeout: 10_000 });
      expect(new URL(phone.page.url()).pathname).toBe('/sign-in');
    });

    await step('the device that signed the other out is still signed in', pages, async () => {
      await laptop.page.getByRole('link', { name: 'Todos' }).click();
      await addTodo(laptop.page, 'Still here');
      await waitForTodos(laptop.page, [{ title: 'Still here', completed: false }], 5_000);
    });

    await step('signing out here ends on the sign-in page without a "signed out elsewhere" notice', pages, async () => {
      await laptop.page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await laptop.page.getByRole('heading', { name: 'Welcome back' }).waitFor({ timeout: 5_000 });
      expect(await laptop.page.getByText('signed out from another device').count()).toBe(0);
      await laptop.page.reload();
      await laptop.page.getByRole('heading', { name: 'Welcome back' }).waitFor({ timeout: 10_000 });
    });

    await laptop.context.close();
    await phone.context.close();
  });

  it('when two people use Cobalt at the same time, then neither ever sees the other one’s todos', async () => {
    const alice = await newDevice(browser);
    const bob = await newDevice(browser);
    const pages = { alice, bob };

    await step('both register and are live', pages, async () => {
      await register(alice.page, newAccount('Alice'));
      await register(bob.page, newAccount('Bob'));
      await connectedInstance(alice.page);
      await connectedInstance(bob.page);
    });

    await step('each adds and changes their own todos', pages, async () => {
      await addTodo(alice.page, 'Alice: plan the surprise party');
      await addTodo(bob.page, 'Bob: fix the bike');
      await addTodo(alice.page, 'Alice: buy the present');
      await alice.page.getByRole('checkbox', { name: 'Mark “Alice: buy the present” as done' }).click();
      await waitForTodos(
        alice.page,
        [
          { title: 'Alice: plan the surprise party', completed: false },
          { title: 'Alice: buy the present', completed: true },
        ],
        5_000,
      );
      await waitForTodos(bob.page, [{ title: 'Bob: fix the bike', completed: false }], 5_000);
    });

    await step('nothing of one reaches the other, live or after a reload', pages, async () => {
      await new Promise((resolve) => setTimeout(resolve, 500)); // room for a stray event to arrive
      expect(await shownTitles(bob.page)).toEqual(['Bob: fix the bike']);
      expect(await shownTitles(alice.page)).toEqual(['Alice: plan the surprise party', 'Alice: buy the present']);
      await bob.page.reload();
      await connectedInstance(bob.page);
      await waitForTodos(bob.page, [{ title: 'Bob: fix the bike', completed: false }], 5_000);
    });

    await alice.context.close();
    await bob.context.close();
  });
});
