#!/usr/bin/env node
// The load generator's own cost: CPU of the socket receivers per delivered event, today's worker
// (bench/workers/socket-client.mjs) against the one of an earlier commit, side by side on one
// cluster. The bench measures the server, so its clients must stay cheap per event.
//
//   node bench/client-cost.mjs [--baseline <git-ref>] [--rounds N]
//   env: BENCH_PORT_OFFSET=N, CLIENT_COST_USERS (100), CLIENT_COST_RATE (100/s), CLIENT_COST_SECONDS (10)
//
// The baseline worker is taken from git (`git show <ref>:bench/workers/socket-client.mjs`) into
// .data/bench-client-cost, with its imports pointed back at bench/lib. Each round runs the same
// fan-out (users x 3 devices, writes over REST, GraphQL and the receivers' sockets) once per
// worker, alternating which goes first. Writes bench/results/client-cost.{json,md}.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../scripts/lib/root.mjs';
import { createAccounts, firstWrites } from './lib/accounts.mjs';
import { benchPorts, startBenchCluster, waitQuiet } from './lib/cluster.mjs';
import { resetTodoData } from './lib/store.mjs';
import { cobaltTransport, runFanout } from './scenarios/fanout.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const baselineRef = option('--baseline', 'main');
const rounds = Number(option('--rounds', '2'));
const users = Number(process.env.CLIENT_COST_USERS ?? 100);
const rate = Number(process.env.CLIENT_COST_RATE ?? 100);
const seconds = Number(process.env.CLIENT_COST_SECONDS ?? 10);
const dataDir = join(ROOT, '.data', 'bench-client-cost');
const log = (line) => console.log(line);

/** The worker of `ref`, runnable from .data with today's bench/lib. */
function baselineWorker(ref) {
  const source = execFileSync('git', ['-C', ROOT, 'show', `${ref}:bench/workers/socket-client.mjs`], { encoding: 'utf8' });
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', ref], { encoding: 'utf8' }).trim();
  const lib = pathToFileURL(join(ROOT, 'bench', 'lib')).href;
  const file = join(dataDir, `socket-client-${commit}.mjs`);
  writeFileSync(file, source.replaceAll("'../lib/", `'${lib}/`));
  return { file, commit };
}

/** Receiver CPU (ms) per delivered event, from a fan-out result. */
function receiverCost(result, prefix) {
  const cpuSeconds = Object.entries(result.cpuPercent)
    .filter(([label]) => label.startsWith(`${prefix}#`))
    .reduce((a, [, pct]) => a + (pct * result.perWrite.seconds) / 100, 0);
  const { received, lost, duplicated, misdelivered } = result.deliveries;
  return {
    received,
    lost,
    duplicated,
    misdelivered,
    errors: result.writes.errorCount,
    receiverCpuS: cpuSeconds,
    cpuMsPerEvent: received ? (1000 * cpuSeconds) / received : null,
    p50Ms: result.latencyMs.p50,
    p99Ms: result.latencyMs.p99,
  };
}

async function main() {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const baseline = baselineWorker(baselineRef);
  const head = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const variants = [
    {
      id: 'before',
      label: `before: socket.io-client directly (${baselineRef.startsWith(baseline.commit) ? baselineRef : `${baselineRef}, ${baseline.commit}`})`,
      file: baseline.file,
    },
    { id: 'after', label: `after: @cobalt/client (working tree at ${head})`, file: undefined },
  ];
  const cluster = await startBenchCluster({ dataDir: join(dataDir, 'cluster'), ports: benchPorts(), log: () => undefined });
  const runs = [];
  try {
    const made = await createAccounts(cluster.urls.public, { users, devices: 3, label: `cc${Date.now().toString(36)}`, concurrency: 16 });
    await firstWrites(cluster.urls.public, made.accounts);
    for (let round = 0; round < rounds; round++) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        await waitQuiet(cluster);
        await resetTodoData(cluster.urls.mongo);
        const transport = { ...cobaltTransport(cluster, { label: v.id }), receiverFile: v.file };
        const base = transport.device;
        // Today's worker takes up each device's session; the baseline sends its access token.
        transport.device = (account, d) => ({ ...base(account, d), token: account.tokens[d % account.tokens.length] });
        log(`round ${round + 1}: ${v.label}`);
        const result = await runFanout({
          name: `${users * 3} sockets @ ${rate}/s`,
          transport,
          accounts: made.accounts,
          devicesPerUser: 3,
          rate,
          durationMs: seconds * 1000,
          workers: 2,
          log,
        });
        runs.push({ variant: v.id, round: round + 1, otherLoadPercent: result.otherLoadPercent, ...receiverCost(result, transport.receiverWorker) });
      }
    }
  } finally {
    await cluster.stop();
  }
  const summary = variants.map((v) => {
    const mine = runs.filter((r) => r.variant === v.id);
    const received = mine.reduce((a, r) => a + r.received, 0);
    const cpuS = mine.reduce((a, r) => a + r.receiverCpuS, 0);
    return {
      ...v,
      file: undefined,
      received,
      cpuMsPerEvent: received ? (1000 * cpuS) / received : null,
      lost: mine.reduce((a, r) => a + r.lost, 0),
      duplicated: mine.reduce((a, r) => a + r.duplicated, 0),
      errors: mine.reduce((a, r) => a + r.errors, 0),
    };
  });
  const ratio = Number(summary[1].cpuMsPerEvent) / Number(summary[0].cpuMsPerEvent);
  const out = { at: new Date().toISOString(), users, devicesPerUser: 3, ratePerSec: rate, seconds, rounds, summary, ratio, runs };
  const fmt = (v, d = 3) => (v === null || v === undefined ? '-' : v.toFixed(d));
  const md = [
    `# Load generator cost per delivered event`,
    '',
    `${out.at}: ${users * 3} sockets (${users} users x 3) in 2 receiver processes, ${rate} writes/s for ${seconds} s, ${rounds} rounds (order alternating), one cluster.`,
    '',
    '| receiver | events | receiver CPU ms / event | lost | duplicated | errors |',
    '|---|---:|---:|---:|---:|---:|',
    ...summary.map((s) => `| ${s.label} | ${s.received} | ${fmt(s.cpuMsPerEvent)} | ${s.lost} | ${s.duplicated} | ${s.errors} |`),
    '',
    `after / before: ${fmt(ratio, 2)}x`,
    '',
    '| run | receiver | events | CPU s | ms / event | p50 / p99 latency ms | other load % |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.round} | ${r.variant} | ${r.received} | ${fmt(r.receiverCpuS, 2)} | ${fmt(r.cpuMsPerEvent)} | ${fmt(r.p50Ms, 1)} / ${fmt(r.p99Ms, 1)} | ${fmt(r.otherLoadPercent, 0)} |`,
    ),
    '',
  ].join('\n');
  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'client-cost.json'), `${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'client-cost.md'), md);
  console.log(`\n${md}\nwrote bench/results/client-cost.{json,md}`);
}

main().catch((error) => {
  console.error(`client-cost failed: ${error instanceof Error ? error.stack : error}`);
  process.exit(1);
});
