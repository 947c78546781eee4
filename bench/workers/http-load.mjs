// A bench worker running one closed-loop HTTP load (autocannon) at fixed concurrency and
// answering with its throughput, latency and every kind of failure it saw.
import autocannon from 'autocannon';
import { serve } from '../lib/serve.mjs';

serve({
  /**
   * tokens: bearer tokens used in turn, one per request. `check`: 'graphql' also counts 200
   * answers that carry GraphQL `errors` as failures.
   */
  async run({ url, method = 'GET', path, body, tokens, connections = 10, durationS = 10, amount, check }) {
    let turn = 0;
    let badBodies = 0;
    const sample = [];
    const startedAt = performance.now();
    let lastAnswerAt = startedAt;
    const result = await autocannon({
      url,
      connections,
      // A run of `amount` requests ends at autocannon's next sample tick after the last answer;
      // short ticks, and the run's time taken from its first request to its last answer.
      ...(amount ? { amount, sampleInt: 50 } : { duration: durationS }),
      timeout: 10,
      requests: [
        {
          method,
          path,
          body: body === undefined ? undefined : JSON.stringify(body),
          setupRequest: (req) => ({
            ...req,
            headers: { ...req.headers, 'content-type': 'application/json', authorization: `Bearer ${tokens[turn++ % tokens.length]}` },
          }),
          onResponse: (status, resBody) => {
            lastAnswerAt = performance.now();
            const bad = status >= 300 || (check === 'graphql' && (typeof resBody !== 'string' || resBody.includes('"errors"')));
            if (!bad) return;
            badBodies++;
            if (sample.length < 3) sample.push(`${status} ${String(resBody).slice(0, 200)}`);
          },
        },
      ],
    });
    const seconds = amount ? (lastAnswerAt - startedAt) / 1000 : result.duration;
    return {
      requests: result.requests.total,
      reqPerSec: amount ? result.requests.total / seconds : result.requests.average,
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      badBodies,
      sample,
      durationS: seconds,
    };
  },
});
