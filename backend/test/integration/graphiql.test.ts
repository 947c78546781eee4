import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type RunningServer } from '../support/test-server.js';

const html = (url: string) => fetch(`${url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml' } });

describe('GraphiQL', () => {
  let dev: RunningServer;
  let production: RunningServer;
  beforeAll(async () => {
    [dev, production] = await Promise.all([startTestServer({ NODE_ENV: 'development' }), startTestServer({ NODE_ENV: 'production' })]);
  });
  afterAll(() => Promise.all([dev?.stop(), production?.stop()]));

  it('when a browser opens /graphql in development, then GraphiQL comes from this server, every file of it too', async () => {
    const page = await html(dev.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const text = await page.text();
    expect(text).toContain('<div id="graphiql">');
    const files = [...text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(file, 'no file from another origin').toMatch(/^\/graphql\/ide\//);
      expect((await fetch(`${dev.url}${file}`)).status, file).toBe(200);
    }
  });

  it('when a client posts to /graphql in development, then GraphQL answers as before', async () => {
    const res = await fetch(`${dev.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('when a browser opens /graphql in production, then no GraphiQL is served', async () => {
    const page = await html(production.url);
    expect(await page.text()).not.toContain('graphiql');
    expect((await fetch(`${production.url}/graphql/ide/index.html`)).headers.get('content-type') ?? '').not.toMatch(/text\/html/);
  });
});
