// The bench's verdicts and tables: computed from the results object, printed, and written into
// docs/PERFORMANCE.md between its result markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { fmt, fmtInt, markdownTable } from './stats.mjs';

const KB = 1024;

/** The issue's targets, each with its measured value and met (true/false) or null when not measured at full size. */
export function evaluateTargets(r) {
  const targets = [];
  const isDefault = (f) => f.peer === 'cobalt' && f.variant === 'default';
  const big = r.fanout?.find((f) => isDefault(f) && f.sockets >= 3000 && f.ratePerSec >= 200);
  const anyFan = r.fanout?.filter(isDefault).at(-1);
  const fan = big ?? anyFan;
  targets.push({
    id: 'fanout-3000',
    target: 'Fan-out, 3,000 sockets at 200 writes/s: p99 <= 30 ms, 0 lost, 0 duplicated',
    value: fan ? `${fmtInt(fan.sockets)} sockets at ${fan.ratePerSec}/s: p99 ${fmt(fan.latencyMs.p99)} ms, lost ${fan.deliveries.lost}, duplicated ${fan.deliveries.duplicated}, ${fmtInt(fan.writes.errorCount)} of ${fmtInt(fan.writes.offered)} writes failed` : 'not run',
    met: big ? big.latencyMs.p99 <= 30 && big.deliveries.lost === 0 && big.deliveries.duplicated === 0 : null,
  });
  const idle = r.idle?.cobalt;
  targets.push({
    id: 'idle-rss',
    target: '10,000 idle sockets: <= 25 KB backend RSS per socket',
    value: idle ? `${fmtInt(idle.sockets)} sockets${r.idleLimit ? ` (${fmtInt(r.idleLimit.wanted)} do not fit the open-files limit of ${fmtInt(r.idleLimit.openFilesLimit)})` : ''}: ${fmt(idle.rssPerSocketBytes / KB)} KB per socket` : 'not run',
    // Judged on the largest count that fits this machine when that is at least 90% of 10,000.
    met: idle && idle.sockets >= 9_000 ? idle.rssPerSocketBytes <= 25 * KB : null,
  });
  const http = r.http?.results;
  if (http) {
    const costs = Object.values(http).map((e) => e.caddyCost);
    const worst = Math.max(...costs);
    targets.push({
      id: 'caddy-cost',
      target: 'Caddy costs <= 20% of throughput vs direct to one backend',
      value: Object.values(http).map((e) => `${e.label.split(' ')[0] === 'GraphQL' ? 'GraphQL' : e.label.split('?')[0]} ${fmt(100 * e.caddyCost, 0)}%`).join(', '),
      met: r.mode === 'full' ? worst <= 0.2 : null,
    });
    const ratioDirect = http['graphql-page'].direct.reqPerSec / http['rest-list'].direct.reqPerSec;
    const ratioCaddy = http['graphql-page'].caddy.reqPerSec / http['rest-list'].caddy.reqPerSec;
    const reads = r.http.postgresReadsPerGraphqlPage;
    const userReads = reads?.perRequest?.users ?? 0;
    targets.push({
      id: 'graphql-ratio',
      target: 'GraphQL todos-with-owner: 1 Postgres query per page, >= 70% of REST list throughput',
      value: `${fmt(100 * ratioDirect, 0)}% direct, ${fmt(100 * ratioCaddy, 0)}% via Caddy; ${reads ? `${fmt(userReads, 2)} users-table reads per page (${fmt(reads.total, 2)} Postgres table reads in all)` : 'reads not counted'}`,
      met: r.mode === 'full' ? ratioDirect >= 0.7 && ratioCaddy >= 0.7 && reads !== undefined && reads.total <= 1.05 : null,
    });
  }
  return targets;
}

const verdict = (met) => (met === true ? 'met' : met === false ? 'NOT MET' : 'not measured at full size');

export function renderTables(r) {
  const out = [];
  const fan = r.fanout ?? [];
  if (fan.length) {
    out.push('**Fan-out** (write sent -> each receipt, all devices of the writing user; writes mixed REST / GraphQL / socket for Cobalt)\n');
    out.push(
      markdownTable(
        ['scenario', 'server', 'sockets', 'writes/s', 'deliveries', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'lost', 'dup', 'errors', 'other load'],
        fan.map((f) => [f.name, f.server ?? f.peer, fmtInt(f.sockets), f.ratePerSec, fmtInt(f.deliveries.received), fmt(f.latencyMs.p50), fmt(f.latencyMs.p95), fmt(f.latencyMs.p99), fmt(f.latencyMs.max), f.deliveries.lost, f.deliveries.duplicated, f.writes.errorCount + f.deliveries.misdelivered, `${fmt(f.otherLoadPercent, 0)}%`]),
      ),
    );
    const cob = fan.filter((f) => f.peer === 'cobalt');
    if (cob.length) {
      out.push('\nCobalt per write path (p50 / p99 ms):\n');
      out.push(
        markdownTable(
          ['scenario', 'REST', 'GraphQL', 'socket', 'write answered (p50 / p99)'],
          cob.map((f) => [`${f.name}${f.variant === 'default' ? '' : ` (${f.server})`}`, ...['rest', 'graphql', 'socket'].map((c) => (f.latencyByChannelMs[c] ? `${fmt(f.latencyByChannelMs[c].p50)} / ${fmt(f.latencyByChannelMs[c].p99)}` : '-')), `${fmt(f.ackMs.p50)} / ${fmt(f.ackMs.p99)}`]),
        ),
      );
      out.push('\nCPU during the write window, % of one core (2 cores = 200%):\n');
      const group = (f, test) => Object.entries(f.cpuPercent).filter(([k]) => test(k)).reduce((a, [, v]) => a + v, 0);
      out.push(
        markdownTable(
          ['scenario', 'server', 'backends', 'store', 'Caddy', 'Redis', 'Postgres', 'load generators', 'other work'],
          fan.map((f) => [
            f.name,
            f.server ?? f.peer,
            f.peer === 'cobalt' ? fmt(group(f, (k) => k.startsWith('backend-')), 0) : fmt(group(f, (k) => k === 'nats-server'), 0),
            fmt(group(f, (k) => k === 'mongo' || k === 'mongo-store' || k.startsWith('store-')), 0),
            fmt(group(f, (k) => k === 'caddy'), 0),
            fmt(group(f, (k) => k === 'redis'), 0),
            fmt(group(f, (k) => k === 'postgres'), 0),
            fmt(group(f, (k) => /client|writer/.test(k)), 0),
            fmt(f.otherLoadPercent, 0),
          ]),
        ),
      );
      out.push('\nCobalt p50 / p99 ms by when the write was sent, in sixths of the run (is it getting slower as data piles up?):\n');
      out.push(markdownTable(['scenario', ...cob[0].latencyBySliceMs.map((_, i) => `${i + 1}/6`), 'todos at end'], cob.map((f) => [`${f.name}${f.variant === 'default' ? '' : ` (${f.server})`}`, ...f.latencyBySliceMs.map((x) => `${fmt(x.p50, 0)} / ${fmt(x.p99, 0)}`), fmtInt(f.storeAtEnd?.todos)])));
    }
  }
  if (Array.isArray(r.store)) {
    out.push('\n**Store** (one user\'s list page / the last change-log entry a write reads, ms per query, against documents of other users in the collection)\n');
    const sizes = r.store[0].rows.map((x) => x.otherDocs);
    out.push(
      markdownTable(
        ['store', 'pushdown (filter/sort/limit)', ...sizes.map((n) => `${fmtInt(n)} others`)],
        r.store.map((s) => [s.store, [s.pushdown.filter, s.pushdown.sort, s.pushdown.limit].map((v) => (v === null ? '?' : v ? 'yes' : 'no')).join('/'), ...s.rows.map((x) => `${fmt(x.listPageMs)} / ${fmt(x.lastSeqMs)}`)]),
      ),
    );
  }
  const idles = Object.values(r.idle ?? {});
  if (idles.length) {
    out.push('\n**Idle connections** (server RSS per socket = RSS after - RSS before, over all server processes)\n');
    out.push(
      markdownTable(
        ['server', 'sockets', 'connect/s', 'RSS/socket', 'JS heap/socket', 'idle CPU', 'restart', 'dropped', 'all back after', 'other load'],
        idles.map((i) => [
          i.peer,
          fmtInt(i.sockets),
          fmtInt(i.connectPerSec),
          `${fmt(i.rssPerSocketBytes / KB)} KB`,
          i.heapPerSocketBytes === null || i.heapPerSocketBytes === undefined ? '-' : `${fmt(i.heapPerSocketBytes / KB)} KB`,
          `${fmt(i.idleCpuPercent, 1)}%`,
          i.restart?.error ? 'failed' : i.restart?.target ?? '-',
          i.restart ? fmtInt(i.restart.socketsDropped) : '-',
          i.restart?.allReconnectedMs === null || i.restart?.allReconnectedMs === undefined ? (i.restart ? `${fmtInt(i.restart.reconnected)} back` : '-') : `${fmt(i.restart.allReconnectedMs / 1000)} s`,
          `${fmt(i.otherLoadPercent, 0)}%`,
        ]),
      ),
    );
  }
  const httpTable = (h, title) => {
    out.push(`\n**HTTP**${title} (${h.connections} connections, closed loop, ${h.secondsPerTarget} s per target; CPU in % of one core)\n`);
    const cpu = (x, test) => (x.cpuPercent ? fmt(Object.entries(x.cpuPercent).filter(([k]) => test(k)).reduce((a, [, v]) => a + v, 0), 0) : '-');
    const row = (e, via, x) => [
      e.label,
      via === 'caddy' ? 'Caddy' : 'direct',
      fmtInt(x.reqPerSec),
      fmt(x.latencyMs.p50),
      fmt(x.latencyMs.p99),
      x.errors + x.non2xx,
      via === 'caddy' ? `${fmt(100 * e.caddyCost, 0)}%` : '',
      cpu(x, (k) => k.startsWith('backend-')),
      cpu(x, (k) => k === 'caddy'),
      cpu(x, (k) => k === 'mongo' || k === 'mongo-store' || k.startsWith('store-')),
      `${fmt(x.otherLoadPercent, 0)}%`,
    ];
    out.push(
      markdownTable(
        ['request', 'via', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'Caddy cost', 'CPU backends', 'CPU Caddy', 'CPU store', 'other load'],
        Object.values(h.results).flatMap((e) => [row(e, 'caddy', e.caddy), row(e, 'direct', e.direct)]),
      ),
    );
    const reads = h.postgresReadsPerGraphqlPage;
    if (reads) out.push(`\nPostgres table reads per GraphQL page (${reads.count} pages): ${Object.entries(reads.perRequest).map(([t, n]) => `${t} ${fmt(n, 2)}`).join(', ') || 'none'}`);
  };
  if (r.http?.results) httpTable(r.http, '');
  if (r.whatIf?.http?.results) httpTable(r.whatIf.http, `, before: backends on ${r.whatIf.store}`);
  if (r.whatIf?.error) out.push(`\nThe run on ${r.whatIf.store} stopped early: ${r.whatIf.error}`);
  if (r.startup) {
    out.push('\n**Start to ready** (`startCluster`, all services, until Caddy answers ready)\n');
    out.push(
      markdownTable(
        ['start', 'seconds'],
        [
          ['setup (`scripts/setup.mjs`: checks, builds what is out of date)', r.startup.setupMs === null ? 'skipped' : fmt(r.startup.setupMs / 1000)],
          ['cold (empty data dir: initdb, migrations, FerretDB first start)', fmt(r.startup.coldMs / 1000)],
          ['warm (same data dir again)', r.startup.warmMs === null ? '-' : fmt(r.startup.warmMs / 1000)],
          ['stop', r.startup.stopMs === null ? '-' : fmt(r.startup.stopMs / 1000)],
        ],
      ),
    );
  }
  if (r.peer) {
    out.push(`\n**Peer**: ${r.peer.name}${r.peer.error ? ` — not measured: ${r.peer.error}` : ''}\n`);
    if (r.peer.ratios?.length) out.push(markdownTable(['measure', 'Cobalt', 'peer', 'Cobalt / peer'], r.peer.ratios.map((x) => [x.measure, x.cobalt, x.peer, `${fmt(x.ratio, 1)}x`])));
  }
  const targets = r.targets ?? [];
  if (targets.length) {
    out.push('\n**Targets**\n');
    out.push(markdownTable(['target', 'measured', 'verdict'], targets.map((t) => [t.target, t.value, verdict(t.met)])));
  }
  return out.join('\n');
}

/** Ratios Cobalt / peer for the scenarios both ran. */
export function peerRatios(r) {
  const ratios = [];
  for (const f of (r.fanout ?? []).filter((x) => x.peer === 'nats')) {
    for (const c of r.fanout.filter((x) => x.peer === 'cobalt' && x.name === f.name)) {
      const which = c.variant === 'default' ? '' : ` (${c.server})`;
      for (const k of ['p50', 'p99']) ratios.push({ measure: `fan-out ${f.name} ${k}${which}`, cobalt: `${fmt(c.latencyMs[k])} ms`, peer: `${fmt(f.latencyMs[k])} ms`, ratio: c.latencyMs[k] / f.latencyMs[k] });
    }
  }
  const ci = r.idle?.cobalt;
  const pi = r.idle?.nats;
  if (ci && pi) {
    ratios.push({ measure: 'idle RSS per socket', cobalt: `${fmt(ci.rssPerSocketBytes / KB)} KB`, peer: `${fmt(pi.rssPerSocketBytes / KB)} KB`, ratio: ci.rssPerSocketBytes / pi.rssPerSocketBytes });
    ratios.push({ measure: 'connect rate', cobalt: `${fmtInt(ci.connectPerSec)}/s`, peer: `${fmtInt(pi.connectPerSec)}/s`, ratio: ci.connectPerSec / pi.connectPerSec });
    if (ci.restart?.allReconnectedMs && pi.restart?.allReconnectedMs) ratios.push({ measure: 'all reconnected after restart', cobalt: `${fmt(ci.restart.allReconnectedMs / 1000)} s`, peer: `${fmt(pi.restart.allReconnectedMs / 1000)} s`, ratio: ci.restart.allReconnectedMs / pi.restart.allReconnectedMs });
  }
  return ratios;
}

const BEGIN = '<!-- bench:results:begin -->';
const END = '<!-- bench:results:end -->';

/** Replaces the results block of docs/PERFORMANCE.md (between its markers) with `markdown`. */
export function updateDoc(file, markdown) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return false;
  writeFileSync(file, `${text.slice(0, a + BEGIN.length)}\n${markdown}\n${text.slice(b)}`);
  return true;
}
