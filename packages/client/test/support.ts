import {
  createCobaltClient,
  localCoordinator,
  type CobaltClientOptions,
  memoryStorage,
  type ClientStorage,
  type CobaltClient,
  type Coordinator,
  type SettledMutation,
} from '../src/index.js';
import { FakeCobaltServer } from '../src/testing/fake-server.js';

export { FakeCobaltServer };

/** Lets every queued microtask and zero-delay timer run, so deliveries and storage writes land. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

export interface Device {
  client: CobaltClient;
  storage: ClientStorage;
  settled: SettledMutation[];
}

let counter = 0;

/** A signed-in device of the fake server's user, started; `storage` and `coordinator` may be shared (a restart, a second tab). */
export async function startDevice(
  server: FakeCobaltServer,
  {
    storage = memoryStorage(),
    coordinator = localCoordinator(),
    signIn = true,
    options = {},
  }: { storage?: ClientStorage; coordinator?: Coordinator; signIn?: boolean; options?: Partial<CobaltClientOptions> } = {},
): Promise<Device> {
  if (signIn && !(await storage.get('session'))) await server.signIn(storage);
  const client = createCobaltClient({
    baseUrl: 'http://cobalt.test',
    storage,
    coordinator,
    transport: server.transport(),
    fetch: () => Promise.reject(new Error('no HTTP in these tests')),
    randomId: () => `mutation-${++counter}-${Math.random().toString(36).slice(2, 8)}`,
    random: () => 0.5,
    ...options,
  });
  const settled: SettledMutation[] = [];
  client.on('settled', (outcome) => settled.push(outcome));
  await client.start();
  await settle();
  return { client, storage, settled };
}

export const titles = (client: CobaltClient) => client.todos.list().map((t) => t.title);
export const view = (client: CobaltClient) => client.todos.list().map(({ title, completed, pending }) => ({ title, completed, pending }));
export const serverView = (server: FakeCobaltServer) => server.list().map(({ title, completed }) => ({ title, completed }));
