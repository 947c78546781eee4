import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketIoTransport, type CobaltClient, type SyncEvents } from '@cobalt/client';
import { createNodeClient } from '@cobalt/client/node';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, registerUser, type TestUser } from '../../backend/test/support/http.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { cluster } from './cluster-env.js';

const PASSWORD = 'correct horse battery';

interface Device {
  name: string;
  directory: string;
  proxy: TcpProxy;
  client: CobaltClient;
  /** Fresh live events heard (a repeat of a seq is dropped by the client and not counted). */
  fresh: SyncEvents['live-event'][];
  transports: ('websocket' | 'polling')[];
}

const waitUntil = async (what: string, timeoutMs: number, check: () => boolean) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const shown = (client: CobaltClient) => client.todos.list().map(({ title, completed, pending }) => ({ title, completed, pending }));

/**
 * Devices of one user, each a Node SDK client with its own file storage, reaching Caddy through a
 * proxy of its own (so a test can take one device's network away), one per backend instance.
 */
describe('SDK clients on every instance through Caddy', () => {
  const devices: Device[] = [];
  const api = apiClient(cluster.publicUrl);

  afterAll(async () => {
    for (const device of devices) {
      await device.client.stop();
      await device.proxy.down();
    }
  });

  function open(device: Omit<Device, 'client' | 'fresh'> & { client?: CobaltClient }): Device {
    const client = createNodeClient({
      baseUrl: device.proxy.url,
      directory: device.directory,
      device: device.name,
      transport: socketIoTransport({ transports: device.transports, tryAllTransports: false }),
    });
    const fresh: SyncEvents['live-event'][] = [];
    client.on('live-event', (event) => event.fresh && fresh.push(event));
    return { ...device, client, fresh };
  }

  const instanceOf = (client: CobaltClient) => {
    const status = client.status;
    return status.state === 'connected' ? status.instanceId : null;
  };

  /** Starts a device and reconnects it until it sits on an instance no other device has. */
  async function startOnFreeInstance(user: TestUser, name: string, transports: ('websocket' | 'polling')[], taken: Set<string>): Promise<Device> {
    const proxy = TcpProxy.forUrl(cluster.publicUrl);
    await proxy.up();
    const directory = mkdtempSync(join(tmpdir(), `cobalt-sdk-${name}-`));
    for (let attempt = 0; attempt < 30; attempt++) {
      const device = open({ name, directory, proxy, transports });
      await device.client.start();
      if (!device.client.user) await device.client.signIn({ email: user.email, password: PASSWORD });
      await device.client.todos.whenSynced();
      const instance = instanceOf(device.client)!;
      if (!taken.has(instance)) {
        taken.add(instance);
        devices.push(device);
        return device;
      }
      await device.client.stop(); // Caddy picks round-robin: the next connection lands elsewhere
    }
    throw new Error(`${name} never landed on a free instance`);
  }

  it('when a device changes things offline and restarts while still offline, then its changes reach the server once and every other device converges', async () => {
    const user = await registerUser(api, 'sdk-devices');
    const taken = new Set<string>();
    let a = await startOnFreeInstance(user, 'laptop', ['websocket'], taken);
    const b = await startOnFreeInstance(user, 'phone', ['websocket'], taken);
    // Long-polling only: every request of its session must reach one instance, which Caddy's
    // affinity cookie (kept in socket.io-client's cookie jar under Node) makes sure of.
    const c = await startOnFreeInstance(user, 'tablet', ['polling'], taken);
    expect(taken.size).toBe(3);

    const shared = await b.client.todos.create('Shared before');
    await b.client.todos.whenSent();
    await waitUntil('laptop hears the shared todo', 5_000, () => a.client.todos.get(shared.id) !== undefined);

    // The laptop loses its network and keeps working.
    await a.proxy.down();
    await waitUntil('laptop notices', 10_000, () => a.client.status.state !== 'connected');
    const offline = await a.client.todos.create('Written offline');
    await a.client.todos.toggle(shared.id);
    expect(a.client.pendingCount).toBe(2);

    // The process ends and starts again, still offline: the changes are on disk.
    await a.client.stop();
    devices.splice(devices.indexOf(a), 1);
    a = open({ name: 'laptop', directory: a.directory, proxy: a.proxy, transports: a.transports });
    devices.push(a);
    await a.client.start();
    expect(shown(a.client)).toEqual([
      { title: 'Shared before', completed: true, pending: true },
      { title: 'Written offline', completed: false, pending: true },
    ]);
    await a.client.todos.rename(offline.id, 'Written offline, renamed');
    await a.client.todos.create('Second offline');
    expect(a.client.pendingCount).toBe(4);
    const seqBefore = { b: b.fresh.length, c: c.fresh.length };

    // Back online: everything goes out, once.
    await a.proxy.up();
    await a.client.todos.whenSynced();
    await a.client.todos.whenSent();
    const expected = [
      { title: 'Shared before', completed: true, pending: false },
      { title: 'Written offline, renamed', completed: false, pending: false },
      { title: 'Second offline', completed: false, pending: false },
    ];
    for (const device of [a, b, c]) await waitUntil(`${device.name} converges`, 5_000, () => JSON.stringify(shown(device.client)) === JSON.stringify(expected));

    const rest = await api.get('/api/todos?limit=100', user.accessToken);
    expect(rest.body.items.map((t: { title: string; completed: boolean }) => ({ title: t.title, completed: t.completed }))).toEqual(
      expected.map(({ title, completed }) => ({ title, completed })),
    );
    // Four changes made offline, four changes on the server: each applied once, and each heard once by the others.
    for (const [device, before] of [
      [b, seqBefore.b],
      [c, seqBefore.c],
    ] as const) {
      const heard = device.fresh.slice(before);
      expect(heard.map((e) => e.event.type).sort()).toEqual(['todo:created', 'todo:created', 'todo:updated', 'todo:updated']);
      expect(new Set(heard.map((e) => e.event.seq)).size).toBe(4);
      expect(heard.every((e) => e.event.clientMutationId)).toBe(true);
    }
  });
});
