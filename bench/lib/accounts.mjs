// Bench accounts: U users, each signed in on D devices (one session per device), made through
// the public API like any client.
import { setTimeout as sleep } from 'node:timers/promises';
import { pool } from './serve.mjs';

const PASSWORD = 'bench password 1234';

async function post(baseUrl, path, body, token) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const json = await res.json().catch(() => null);
    if (res.ok) return json;
    // Retry what is meant to be retried (rate limit, a store briefly unavailable); fail on the rest.
    if ((res.status === 429 || res.status === 503 || res.status === 502) && attempt < 20) {
      await sleep(Math.min(5_000, 1000 * Number(res.headers.get('retry-after') ?? 1)));
      continue;
    }
    throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  }
}

/**
 * Registers `users` accounts (label-unique emails) and signs each in on `devices - 1` more
 * devices. Resolves with [{ user, userId, email, tokens: [one per device], sessions: [the register or login
 * answer of each device, for an SDK client to take up] }] and the rates seen.
 */
export async function createAccounts(baseUrl, { users, devices, label, concurrency = 12, firstUser = 0 }) {
  const out = [];
  const started = performance.now();
  const indices = Array.from({ length: users }, (_, i) => firstUser + i);
  await pool(indices, concurrency, async (user) => {
    const email = `${label}-${user}@bench.test`;
    const reg = await post(baseUrl, '/api/auth/register', { email, password: PASSWORD, name: `bench ${user}`, device: 'bench device 0' });
    out.push({ user, userId: reg.user.id, email, tokens: [reg.accessToken], sessions: [reg] });
  });
  const registeredAt = performance.now();
  const logins = out.flatMap((a) => Array.from({ length: devices - 1 }, (_, d) => ({ a, d: d + 1 })));
  await pool(logins, concurrency, async ({ a, d }) => {
    const res = await post(baseUrl, '/api/auth/login', { email: a.email, password: PASSWORD, device: `bench device ${d}` });
    a.tokens[d] = res.accessToken;
    a.sessions[d] = res;
  });
  const done = performance.now();
  out.sort((x, y) => x.user - y.user);
  return {
    accounts: out,
    registerPerSec: users / ((registeredAt - started) / 1000),
    loginPerSec: logins.length ? logins.length / ((done - registeredAt) / 1000) : null,
    elapsedMs: done - started,
  };
}

/** Creates `count` todos for one account (so a list page is full). */
export async function seedTodos(baseUrl, token, count) {
  await pool(
    Array.from({ length: count }, (_, i) => i),
    4,
    (i) => post(baseUrl, '/api/todos', { title: `seed todo ${i}` }, token),
  );
}

/**
 * One write for each account (its first device), `concurrency` at once: afterwards every user has
 * written before, as the users of a running service have, so no measured write is a user's first.
 */
export async function firstWrites(baseUrl, accounts, { concurrency = 16 } = {}) {
  const started = performance.now();
  await pool(accounts, concurrency, (a) => post(baseUrl, '/api/todos', { title: 'first write' }, a.tokens[0]));
  return performance.now() - started;
}
