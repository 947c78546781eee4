import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { createCobaltServer, type CobaltServer } from '../../src/server.js';
import { services } from './env.js';

// One random key per test process, so every in-process instance accepts the others' tokens.
export const jwtSecret = process.env.COBALT_TEST_JWT_SECRET ?? randomBytes(32).toString('base64url');

export interface RunningServer {
  url: string;
  server: CobaltServer;
  stop(): Promise<void>;
}

/** A real backend instance on an ephemeral port, wired to the real test services. */
export async function startTestServer(overrides: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    NODE_ENV: 'test',
    INSTANCE_ID: overrides.INSTANCE_ID ?? `test-${process.pid}`,
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: services.databaseUrl,
    MONGO_URL: services.mongoUrl,
    REDIS_URL: services.redisUrl,
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'error',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    AUTH_REFRESH_RATE_LIMIT_PER_MINUTE: '100000',
    AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE: '100000',
    API_RATE_LIMIT_PER_MINUTE: '100000',
    SOCKET_RATE_LIMIT_PER_MINUTE: '100000',
    ...overrides,
  });
  const server = await createCobaltServer(config);
  const port = await server.listen();
  return { url: `http://127.0.0.1:${port}`, server, stop: () => server.stop() };
}
