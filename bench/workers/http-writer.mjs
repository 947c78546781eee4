// A bench worker making todo writes over HTTP on a fixed schedule: REST `POST /api/todos` and
// the GraphQL `createTodo` mutation, alternating, round-robin over the given users.
import { writeTitle } from '../lib/deliveries.mjs';
import { nowUs, openLoop, serve } from '../lib/serve.mjs';

const CREATE_MUTATION = 'mutation Create($title: String!) { createTodo(title: $title) { id } }';

async function send(baseUrl, channel, token, title, timeoutMs) {
  const rest = channel === 'r';
  const res = await fetch(`${baseUrl}${rest ? '/api/todos' : '/graphql'}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(rest ? { title } : { query: CREATE_MUTATION, variables: { title } }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.json().catch(() => null);
  if (rest) return res.status === 201 ? null : (body?.error?.code ?? `HTTP_${res.status}`);
  if (res.status === 200 && body?.data?.createTodo?.id && !body.errors) return null;
  return body?.errors?.[0]?.extensions?.code ?? `HTTP_${res.status}`;
}

serve({
  /** users: [{ user, token }]; channels: ['r', 'g'] (REST, GraphQL), used in turn. */
  async write({ baseUrl, run, rate, durationMs, users, channels = ['r', 'g'], writerId = 'h', timeoutMs = 10_000 }) {
    const acked = [];
    const errors = {};
    const ackMs = { r: [], g: [] };
    const inflight = new Set();
    const { sent, worstLagMs } = await openLoop(rate, durationMs, (n) => {
      const { user, token } = users[n % users.length];
      const channel = channels[n % channels.length];
      const nonce = `${writerId}.${n}`;
      const tUs = nowUs();
      const p = send(baseUrl, channel, token, writeTitle({ run, user, channel, nonce, tUs }), timeoutMs)
        .then(
          (code) => {
            if (code === null) {
              acked.push([user, nonce]);
              ackMs[channel].push((nowUs() - tUs) / 1000);
            } else errors[code] = (errors[code] ?? 0) + 1;
          },
          (error) => {
            const code = error?.name === 'TimeoutError' ? 'TIMEOUT' : `FETCH_${error?.cause?.code ?? error?.name ?? 'FAILED'}`;
            errors[code] = (errors[code] ?? 0) + 1;
          },
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
    });
    await Promise.all(inflight);
    return { acked, errors, ackMs, worstLagMs, sent };
  },
});
