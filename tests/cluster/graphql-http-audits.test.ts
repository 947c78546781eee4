import { serverAudits } from 'graphql-http';
import { describe, expect, it } from 'vitest';
import { cluster } from './cluster-env.js';

/**
 * The GraphQL over HTTP spec's conformance audits (graphql-http's own suite) against the cluster
 * through Caddy, with introspection on as it is outside production. A MUST audit that fails
 * fails the test; SHOULD and MAY audits are listed in the output when they do not pass.
 */
describe('GraphQL over HTTP conformance', () => {
  it('when graphql-http audits /graphql, then every MUST audit passes', async () => {
    const results = await Promise.all(serverAudits({ url: `${cluster.publicUrl}/graphql` }).map(async (audit) => ({ audit, result: await audit.fn() })));
    const failedMust = results.filter(({ audit, result }) => audit.name.startsWith('MUST') && result.status !== 'ok');
    const others = results.filter(({ audit, result }) => !audit.name.startsWith('MUST') && result.status !== 'ok');
    if (others.length) console.info(others.map(({ audit, result }) => `${audit.id} ${audit.name}: ${result.status} ${'reason' in result ? result.reason : ''}`).join('\n'));
    expect(results.filter(({ audit }) => audit.name.startsWith('MUST')).length).toBeGreaterThan(10);
    expect(failedMust.map(({ audit, result }) => `${audit.id} ${audit.name}: ${'reason' in result ? result.reason : result.status}`)).toEqual([]);
  });
});
