import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedInstance, newAccount, register, signIn } from './support/app';
import { launchBrowser, newDevice, step, waitUntil } from './support/browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('the devices page', () => {
  it('when another device comes and goes, then the page shows it online or offline, live; and a device can be renamed', async () => {
    const laptop = await newDevice(browser);
    const phone = await newDevice(browser, { viewport: { width: 390, height: 844 } });
    const pages = { laptop, phone };
    const account = newAccount('Presence');
    const rows = laptop.page.getByTestId('session-item');
    const other = rows.filter({ hasNotText: 'This device' });
    const presenceOf = async (row: typeof other) =>
      row
        .getByTestId('session-presence')
        .textContent()
        .catch(() => null);

    // The page reads the sessions and the user over GraphQL (typed documents generated from backend/schema.graphql).
    const operations: string[] = [];
    laptop.page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/graphql' && request.method() === 'POST')
        operations.push(String((request.postDataJSON() as { operationName?: string }).operationName));
    });

    await step('sign in on two devices and open the devices page', pages, async () => {
      await register(laptop.page, account);
      await signIn(phone.page, account);
      await connectedInstance(phone.page);
      await laptop.page.getByRole('link', { name: 'Devices' }).click();
      await waitUntil('two sessions listed', 5_000, async () => (await rows.count()) === 2);
      expect(operations).toEqual(expect.arrayContaining(['SignedInUser', 'DeviceSessions']));
    });

    await step('both show online', pages, async () => {
      await waitUntil('phone online', 5_000, async () => (await presenceOf(other)) === 'Online now');
      expect(await presenceOf(rows.filter({ hasText: 'This device' }))).toBe('Online now');
    });

    await step('the phone loses its network: the laptop shows it offline without a reload', pages, async () => {
      await laptop.page.evaluate(() => Object.assign(window, { __noReload: true }));
      await phone.context.setOffline(true);
      await waitUntil('phone offline', 5_000, async () => (await presenceOf(other)) === 'Offline');
    });

    await step('it comes back: online again', pages, async () => {
      await phone.context.setOffline(false);
      await connectedInstance(phone.page, 20_000);
      await waitUntil('phone online again', 5_000, async () => (await presenceOf(other)) === 'Online now');
      expect(await laptop.page.evaluate(() => (window as { __noReload?: boolean }).__noReload)).toBe(true);
    });

    await step('the laptop renames the phone', pages, async () => {
      await other.getByRole('button', { name: /^Rename/ }).click();
      const field = laptop.page.getByRole('textbox', { name: /^New name for/ });
      await field.fill('Ada’s phone');
      await field.press('Enter');
      await waitUntil('new name listed', 5_000, async () => (await other.getByTestId('session-name').textContent()) === 'Ada’s phone');
      await phone.page.getByRole('link', { name: 'Devices' }).click();
      await waitUntil(
        'the phone sees its new name',
        5_000,
        async () => (await phone.page.getByTestId('session-item').filter({ hasText: 'This device' }).getByTestId('session-name').textContent()) === 'Ada’s phone',
      );
    });

    await laptop.context.close();
    await phone.context.close();
  });
});
