import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { services } from '../../backend/test/support/env.js';
import { apiClient, registerUser } from '../../backend/test/support/http.js';
import { sleep } from '../../backend/test/support/sockets.js';
import { cluster } from './cluster-env.js';

describe('rate limits across the three instances behind Caddy', () => {
  it('when 2N sign-ins for one account arrive with forged X-Forwarded-For, then exactly N are processed', async () => {
    const api = apiClient(cluster.publicUrl);
    const user = await registerUser(api, 'c-limit');
    const limit = 10; // AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE of the test cluster (the default)
    const results = await Promise.all(
      Array.from({ length: 2 * limit }, (_, i) =>
        api.request('POST', '/api/auth/login', {
          body: { email: user.email, password: 'wrong password' },
          headers: { 'x-forwarded-for': `198.18.${i}.${i + 1}` },
        }),
      ),
    );
    expect(new Set(results.map((r) => r.headers.get('x-instance-id'))).size).toBe(3);
    expect(results.filter((r) => r.status === 401)).toHaveLength(limit);
    expect(results.filter((r) => r.status === 429)).toHaveLength(limit);
  });

  it('when a client forges X-Forwarded-For through Caddy, then the backend still sees the real client address', async () => {
    const requestId = `xff-${randomUUID()}`;
    const res = await fetch(new URL('/api/todos', cluster.publicUrl), { headers: { 'x-forwarded-for': '6.6.6.6', 'x-request-id': requestId } });
    expect(res.status).toBe(401);
    const mongo = await mongoose.createConnection(services.mongoUrl).asPromise();
    try {
      let record: any = null;
      for (let i = 0; i < 30 && !record; i++) {
        await sleep(200);
        record = await mongo.collection('logs').findOne({ record: 'request', requestId });
      }
      expect(record).not.toBeNull();
      expect(record.ip).toBe('127.0.0.1');
    } finally {
      await mongo.close();
    }
  });
});
