import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../support/env.js';
import { apiClient, registerUser, type ApiClient, type TestUser } from '../support/http.js';
import { TcpCut } from '../support/service-process.js';
import { connectSocket, sleep } from '../support/sockets.js';
import { startTestServer, type RunningServer } from '../support/test-server.js';

/**
 * Caddy and the Kubernetes readiness probe route on /health/accepting. An instance that has begun
 * to stop (SIGTERM) must answer 503 there for as long as it drains, so that no new work is sent to
 * it while its last writes finish.
 */
describe('when an instance drains', () => {
  let mongoLink: TcpCut;
  let server: RunningServer;
  let api: ApiClient;
  let user: TestUser;
  beforeAll(async () => {
    mongoLink = await TcpCut.to(services.mongoUrl);
    server = await startTestServer({ MONGO_URL: mongoLink.rewrite(services.mongoUrl), INSTANCE_ID: 'drain-1' });
    api = apiClient(server.url);
    user = await registerUser(api, 'drain');
  });
  afterAll(async () => {
    mongoLink?.release();
    await server?.stop();
    await mongoLink?.cut().catch(() => undefined);
  });

  it(
    'then /health/accepting answers 503 for as long as a write under way holds the drain, and that write is still applied, announced and acknowledged',
    { timeout: 30_000 },
    async () => {
      const socket = await connectSocket(server.url, user.accessToken, { transports: ['websocket'] });
      const title = `under way at shutdown ${Date.now()}`;
      // A write held under way: MongoDB stops answering until released.
      mongoLink.hold();
      const acked = socket.emitWithAck('todo:create', { title, clientMutationId: `drain-${Date.now()}` }, 15_000);
      await sleep(300);
      expect((await api.get('/health/accepting')).status, 'accepting before the drain').toBe(200);

      let stopped = false;
      const stopping = server.stop().then(() => (stopped = true));
      const draining = await api.get('/health/accepting');
      await sleep(500);
      const stillDraining = await api.get('/health/accepting');
      const drainWaited = !stopped;
      mongoLink.release();
      await stopping;

      for (const answer of [draining, stillDraining]) expect([answer.status, answer.body]).toEqual([503, { status: 'draining', instance: 'drain-1' }]);
      expect(drainWaited, 'the drain waits for the write under way').toBe(true);
      const event = await socket.waitFor('todo:created', (p) => p.todo.title === title);
      expect(event).toMatchObject({ seq: expect.any(Number) });
      // The ack, queued behind that event, is written before the transport closes.
      expect(await acked).toEqual({ data: event.todo });
      // Drained: nothing listens any more.
      await expect(api.get('/health/accepting')).rejects.toThrow();
      socket.close();
    },
  );
});
