import { requireEnv } from '../../backend/test/support/env.js';

/** The running local cluster (scripts/test.mjs starts it): Caddy, three backends, Prometheus. */
export const cluster = {
  get publicUrl() {
    return requireEnv('COBALT_TEST_HTTP_URL');
  },
  get backendUrls() {
    return requireEnv('COBALT_TEST_BACKEND_URLS').split(',');
  },
  get prometheusUrl() {
    return requireEnv('COBALT_TEST_PROMETHEUS_URL');
  },
};
