/**
 * Where the real services of the test run are. `npm test` (scripts/test.mjs) starts them and
 * exports these variables; a test never skips when one is missing, it fails with this message.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\`, which starts the services it needs`);
  return value;
}

export const services = {
  get databaseUrl() {
    return requireEnv('COBALT_TEST_DATABASE_URL');
  },
  get mongoUrl() {
    return requireEnv('COBALT_TEST_MONGO_URL');
  },
  get redisUrl() {
    return requireEnv('COBALT_TEST_REDIS_URL');
  },
};
