import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser } from '../../backend/test/support/http.js';
import { startTestServer, type RunningServer } from '../../backend/test/support/test-server.js';
import { launchBrowser, waitUntil } from './support/browser';

/**
 * GraphiQL as a developer uses it: a backend in development serves it at /graphql, Chromium opens
 * it with every request to another origin refused (no internet), and a subscription typed into it
 * shows a change made over REST.
 */
describe('GraphiQL in development', () => {
  let server: RunningServer;
  let browser: Browser;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({ NODE_ENV: 'development' }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('when a subscription is run from GraphiQL with a token in its headers, then a change made elsewhere shows in its result, and nothing was loaded from the internet', async () => {
    const api = apiClient(server.url);
    const user = await registerUser(api, 'graphiql');
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const elsewhere: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      elsewhere.push(url.href);
      return route.abort();
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    // Pasted, not typed: the editors close brackets and quotes by themselves as one types.
    const replaceText = async (text: string) => {
      await page.evaluate((t) => navigator.clipboard.writeText(t), text);
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Control+V');
    };
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/graphql`);

    const editors = page.locator('.graphiql-editor .monaco-editor');
    await editors.first().waitFor({ timeout: 30_000 });
    await editors.first().click();
    await replaceText('subscription { todoChanges { type seq todo { title } } }');
    await page.locator('.graphiql-editor-tool .monaco-editor').last().click(); // the headers editor
    await replaceText(JSON.stringify({ Authorization: `Bearer ${user.accessToken}` }));
    await page.getByRole('button', { name: /Execute query/ }).click();

    // The subscription is running once the server counts it; then a change made over REST arrives.
    await waitUntil('the subscription runs', 10_000, async () =>
      /cobalt_graphql_subscriptions_active\{[^}]*root_field="todoChanges"[^}]*\} [1-9]/.test(await (await fetch(`${server.url}/metrics`)).text()),
    );
    expect((await api.post('/api/todos', { title: 'seen in GraphiQL' }, user.accessToken)).status).toBe(201);
    // The result editor shows spaces as non-breaking ones.
    const result = async () => ((await page.locator('.result-window').textContent()) ?? '').replace(/\s+/g, ' ');
    await waitUntil('the change shows in the result', 10_000, async () => (await result()).includes('seen in GraphiQL'));
    expect(await result()).toContain('"type": "CREATED"');
    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
