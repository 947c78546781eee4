import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../../backend/test/support/http.js';
import { cluster } from '../cluster/cluster-env.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { CLI, cobalt, newConfigDir, spawnCobalt } from './support.js';

const PASSWORD = 'correct horse battery';

/** The terminal client, spawned as a user runs it, against the running cluster through Caddy. */
describe('cobalt, the terminal client', () => {
  let api: ApiClient;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it (npm run build -w packages/cli)`);
    api = apiClient(cluster.publicUrl);
  });

  const asUser = (user: TestUser, configDir: string, server = cluster.publicUrl) => ({
    env: { COBALT_EMAIL: user.email, COBALT_PASSWORD: PASSWORD, COBALT_CONFIG_DIR: configDir, COBALT_SERVER: server },
  });
  const serverTodos = async (user: TestUser) => (await api.get('/api/todos?limit=100', user.accessToken)).body.items as { id: string; title: string; completed: boolean }[];

  it('when credentials come from the environment, then login, add, ls, done and rm run unattended and the server has each change', async () => {
    const user = await registerUser(api, 'cli');
    const { env } = asUser(user, newConfigDir());

    const login = await cobalt(['login', '--json'], env);
    expect(login.code).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({ user: { id: user.id, email: user.email }, server: cluster.publicUrl });

    const added = await cobalt(['add', 'Buy', 'milk', '--json'], env);
    expect(added.code).toBe(0);
    const item = JSON.parse(added.stdout) as { id: string; title: string; pending: boolean };
    expect(item).toMatchObject({ title: 'Buy milk', pending: false });
    expect(await serverTodos(user)).toMatchObject([{ id: item.id, title: 'Buy milk', completed: false }]);

    const listed = await cobalt(['ls', '--json'], env);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: item.id, title: 'Buy milk', completed: false, pending: false }]);
    const text = await cobalt(['ls'], env);
    expect(text.stdout).toBe(`[ ] ${item.id.slice(0, 7)}  Buy milk\n`);

    const done = await cobalt(['done', item.id.slice(0, 6)], env);
    expect(done).toMatchObject({ code: 0, stdout: 'Done: “Buy milk”.\n' });
    expect(await serverTodos(user)).toMatchObject([{ id: item.id, completed: true }]);

    const removed = await cobalt(['rm', item.id], env);
    expect(removed.code).toBe(0);
    expect(await serverTodos(user)).toEqual([]);
  });

  it('when the session is kept, then later commands need no credentials, and the session and changes live in the config directory', async () => {
    const user = await registerUser(api, 'cli-kept');
    const configDir = newConfigDir();
    const { env } = asUser(user, configDir);
    expect((await cobalt(['login'], env)).stdout).toContain(`Signed in as cli-kept <${user.email}>`);

    const withoutCredentials = { COBALT_CONFIG_DIR: configDir, COBALT_SERVER: cluster.publicUrl };
    expect((await cobalt(['add', 'No password needed'], withoutCredentials)).code).toBe(0);
    expect((await serverTodos(user)).map((t) => t.title)).toEqual(['No password needed']);
    const [serverDir] = readdirSync(configDir);
    expect(readdirSync(join(configDir, serverDir!))).toContain('session.json');
  });

  it('when the cluster is unreachable, then `cobalt add` keeps the change, and the next run delivers it once', async () => {
    const user = await registerUser(api, 'cli-offline');
    const proxy = TcpProxy.forUrl(cluster.publicUrl);
    await proxy.up();
    try {
      const { env } = asUser(user, newConfigDir(), proxy.url);
      expect((await cobalt(['login'], env)).code).toBe(0);

      await proxy.down();
      const offline = await cobalt(['add', 'Written on the train', '--json'], env);
      expect(offline.code).toBe(0);
      expect(JSON.parse(offline.stdout)).toMatchObject({ title: 'Written on the train', pending: true });
      expect(offline.stderr).toContain('is unreachable; 1 change is kept and will be sent at the next run');
      const stillOffline = await cobalt(['ls', '--json'], env);
      expect(JSON.parse(stillOffline.stdout)).toMatchObject([{ title: 'Written on the train', pending: true }]);
      expect(await serverTodos(user)).toEqual([]);

      await proxy.up();
      const next = await cobalt(['ls', '--json'], env);
      expect(next.code).toBe(0);
      expect(JSON.parse(next.stdout)).toMatchObject([{ title: 'Written on the train', pending: false }]);
      expect(next.stderr).not.toContain('kept');
      const onServer = await serverTodos(user);
      expect(onServer.map((t) => t.title)).toEqual(['Written on the train']);
      expect(onServer[0]!.id).toBe(JSON.parse(offline.stdout).id);
    } finally {
      await proxy.down();
    }
  });

  it('when a todo marked done offline was deleted on another device, then the change is dropped with a message and exit code 1', async () => {
    const user = await registerUser(api, 'cli-conflict');
    const created = await api.post('/api/todos', { title: 'Shared' }, user.accessToken);
    const proxy = TcpProxy.forUrl(cluster.publicUrl);
    await proxy.up();
    try {
      const { env } = asUser(user, newConfigDir(), proxy.url);
      expect((await cobalt(['ls'], env)).code).toBe(0);
      await proxy.down();
      expect((await cobalt(['done', created.body.id.slice(0, 8)], env)).code).toBe(0);
      expect((await api.del(`/api/todos/${created.body.id}`, user.accessToken)).status).toBe(204);
      await proxy.up();

      const next = await cobalt(['ls', '--json'], env);
      expect(next.code).toBe(1);
      expect(next.stderr).toContain('your change to “Shared” was dropped: it was deleted on another device.');
      expect(JSON.parse(next.stdout)).toEqual([]);
    } finally {
      await proxy.down();
    }
  });

  it('when another device adds a todo, then a running `cobalt watch` shows it within a second', async () => {
    const user = await registerUser(api, 'cli-watch');
    const { env } = asUser(user, newConfigDir());
    const watch = spawnCobalt(['watch', '--json'], env);
    try {
      await watch.waitForLine((line) => line.includes('"status":"connected"') && line.includes('"synced":true'), 15_000);
      const started = Date.now();
      expect((await api.post('/api/todos', { title: 'From the other device' }, user.accessToken)).status).toBe(201);
      const shown = await watch.waitForLine((line) => line.includes('From the other device'), 1_000);
      expect(shown.at - started).toBeLessThanOrEqual(1_000);
      expect(JSON.parse(shown.text)).toMatchObject({ status: 'connected', items: [{ title: 'From the other device', pending: false }] });
    } finally {
      expect(await watch.stop()).toBe(0);
    }
  });

  it('when the kept session was signed out from another device, then the next run says so (exit 3), or signs in again when it has credentials', async () => {
    const user = await registerUser(api, 'cli-revoked');
    const configDir = newConfigDir();
    const { env } = asUser(user, configDir);
    expect((await cobalt(['login'], env)).code).toBe(0);
    const sessions = (await api.get('/api/sessions', user.accessToken)).body as { id: string; device: string }[];
    const cliSession = sessions.find((s) => s.device.startsWith('cobalt CLI on '));
    expect(cliSession).toBeDefined();
    expect((await api.del(`/api/sessions/${cliSession!.id}`, user.accessToken)).status).toBe(204);

    const withoutCredentials = await cobalt(['ls'], { COBALT_CONFIG_DIR: configDir, COBALT_SERVER: cluster.publicUrl, COBALT_EMAIL: '', COBALT_PASSWORD: '' });
    expect(withoutCredentials.code).toBe(3);
    expect(withoutCredentials.stderr).toContain('Not signed in: the session ended. Run `cobalt login`.');

    expect((await api.post('/api/todos', { title: 'Still mine' }, user.accessToken)).status).toBe(201);
    const again = await cobalt(['ls', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject([{ title: 'Still mine' }]);
  });

  it('when not signed in and no credentials are given, then it fails at once with exit code 3 and never prompts', async () => {
    const result = await cobalt(['ls'], { COBALT_CONFIG_DIR: newConfigDir(), COBALT_SERVER: cluster.publicUrl, COBALT_EMAIL: '', COBALT_PASSWORD: '' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Not signed in. Run `cobalt login`, or pass --email and --password');
  });

  it('when the password is wrong, then it says so with exit code 3', async () => {
    const user = await registerUser(api, 'cli-wrong');
    const result = await cobalt(['login', '--email', user.email, '--password', 'not the password'], { COBALT_CONFIG_DIR: newConfigDir(), COBALT_SERVER: cluster.publicUrl });
    expect(result).toMatchObject({ code: 3, stderr: 'cobalt: Email or password is incorrect.\n' });
  });

  it('when the command line is wrong, then usage is shown with exit code 2', async () => {
    for (const args of [['frobnicate'], ['add'], ['done'], ['ls', '--timeout', 'soon'], ['ls', '--server', 'ftp://x']]) {
      const result = await cobalt(args, { COBALT_CONFIG_DIR: newConfigDir() });
      expect(result.code, args.join(' ')).toBe(2);
    }
    expect((await cobalt(['--help'])).stdout).toContain('Usage: cobalt <command>');
  });
});
