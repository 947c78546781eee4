import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { installSchemathesis } from '../../scripts/setup/check-tools.mjs';
import { apiClient, registerUser } from '../../backend/test/support/http.js';
import { cluster } from './cluster-env.js';

/**
 * Schemathesis (PyPI), an API fuzzer written apart from Cobalt, against the running cluster
 * through Caddy, signed in: over the OpenAPI document the backends serve and over the GraphQL
 * schema (by introspection: the test cluster runs with GRAPHQL_INTROSPECTION=true). It fails on
 * any 5xx and on any answer the document does not describe (status, content type, headers, body).
 */
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_headers_conformance', 'response_schema_conformance'];

let tool: { python: string; args: string[]; env: Record<string, string> };

function schemathesis(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool.python, [...tool.args, 'run', ...args], {
      env: { ...process.env, ...tool.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false', COLUMNS: '160' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** A fresh user's token: Schemathesis may sign its session out, so each run gets its own. */
async function freshToken(label: string): Promise<string> {
  return (await registerUser(apiClient(cluster.publicUrl), label)).accessToken;
}

const common = (token: string) => [
  '-H',
  `Authorization: Bearer ${token}`,
  '--checks',
  CHECKS.join(','),
  '--workers',
  '1',
  '--max-examples',
  '25',
  '--seed',
  '20261129',
  '--suppress-health-check',
  'all',
];

describe('Schemathesis against the cluster', () => {
  beforeAll(async () => {
    tool = await installSchemathesis({ log: (line: string) => process.stderr.write(`${line}\n`) });
  }, 600_000);

  it('when it fuzzes every REST operation of the OpenAPI document, then no answer is a 5xx or breaks the document', async () => {
    // The operations that end the session run last, on a session of their own, so the others stay signed in.
    const ending = ['--include-path', '/api/auth/logout', '--include-path-regex', '^/api/sessions/'];
    const rest = await schemathesis([
      `${cluster.publicUrl}/api/openapi.json`,
      ...common(await freshToken('st-rest')),
      '--exclude-path',
      '/api/auth/logout',
      '--exclude-path-regex',
      '^/api/sessions/\\{id\\}$',
    ]);
    expect(rest.code, rest.output).toBe(0);
    expect(rest.output).toMatch(/Test cases:\s+\d+ generated, \d+ passed/);
    const signingOut = await schemathesis([`${cluster.publicUrl}/api/openapi.json`, ...common(await freshToken('st-end')), ...ending]);
    expect(signingOut.code, signingOut.output).toBe(0);
  }, 240_000);

  it('when it fuzzes every query and mutation of the GraphQL schema, then no answer is a server error or breaks the schema', async () => {
    const result = await schemathesis([`${cluster.publicUrl}/graphql`, ...common(await freshToken('st-graphql'))]);
    expect(result.code, result.output).toBe(0);
    // Every query and mutation of the schema (subscriptions run over the WebSocket, tested on their own).
    expect(result.output).toMatch(/Operations:\s+7 selected \/ 7 total/);
    expect(result.output).toMatch(/Test cases:\s+\d+ generated, \d+ passed/);
  }, 240_000);
});
