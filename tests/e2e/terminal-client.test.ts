import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cobalt, CLI, newConfigDir, spawnCobalt } from '../cli/support';
import { addTodo, newAccount, register, waitForTodos } from './support/app';
import { appUrl, launchBrowser, newDevice, step } from './support/browser';

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it (npm run build -w packages/cli)`);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('the terminal client next to the web app', () => {
  it('when a todo is added in the browser, then a running `cobalt watch` shows it within a second, and one added in the terminal shows in the browser', async () => {
    const web = await newDevice(browser);
    const account = newAccount('Terminal');
    await register(web.page, account);
    const env = { COBALT_EMAIL: account.email, COBALT_PASSWORD: account.password, COBALT_CONFIG_DIR: newConfigDir(), COBALT_SERVER: appUrl() };
    const watch = spawnCobalt(['watch', '--json'], env);
    try {
      await step('cobalt watch is live', { web }, () => watch.waitForLine((line) => line.includes('"status":"connected"') && line.includes('"synced":true'), 15_000));

      await step('added in the browser, shown in the terminal within 1 s', { web }, async () => {
        const started = Date.now();
        await addTodo(web.page, 'Added in the browser');
        const shown = await watch.waitForLine((line) => line.includes('Added in the browser'), 1_000);
        expect(shown.at - started).toBeLessThanOrEqual(1_000);
        expect(JSON.parse(shown.text).items.map((item: { title: string }) => item.title)).toEqual(['Added in the browser']);
      });

      await step('added in the terminal, shown in the browser', { web }, async () => {
        const added = await cobalt(['add', 'Added in the terminal'], env);
        expect(added.code).toBe(0);
        await waitForTodos(
          web.page,
          [
            { title: 'Added in the browser', completed: false },
            { title: 'Added in the terminal', completed: false },
          ],
          2_000,
        );
      });
    } finally {
      expect(await watch.stop()).toBe(0);
      await web.context.close();
    }
  });
});
