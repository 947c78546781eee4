// The bench's verdicts and tables: computed from the results object, printed, and written into
// docs/PERFORMANCE.md between its result markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { fmt, fmtInt, markdownTable } from './stats.mjs';

const KB = 1024;

/** The pauses table beside each write window (fan-out windows and ladder steps): its heading and columns. */
const pausesHeading =
  "\nCobalt's write window beside what pauses it: the whole machine's CPU, how far the writer fell behind its schedule, the receivers' own event-loop delay (both on the machine's cores too), the backends' garbage-collection pauses (count a second, mean; share of their time paused), how long the main threads of each group waited for a CPU while runnable (the run queue, from /proc/<pid>/schedstat: per cent of the window summed over the group's processes, and the mean wait each time one was scheduled), and the hypervisor's steal:\n";
const PAUSE_COLUMNS = [
  'scenario',
  'server',
  'machine busy %',
  'writer behind, worst ms',
  'receivers loop delay p99 / max ms',
  'backends minor GC /s, mean ms',
  'major GC /s, mean ms',
  'backends paused %',
  'waiting for a CPU: backends / store / load generators, % (mean per wake-up µs)',
  'steal %',
];
/** The cells of one write window for the pauses table. */
function pauseCells(f) {
  const gc = f.backendGc;
  const kind = (k) => (gc?.byKind[k] ? `${fmt(gc.byKind[k].perSecond, 1)}, ${fmt(gc.byKind[k].meanMs, 1)}` : gc ? '0' : '-');
  return [
    fmt(f.machineBusyPercent, 0),
    fmt(f.generatorLagMs, 0),
    f.receiverLoopDelayMs ? `${fmt(f.receiverLoopDelayMs.p99, 0)} / ${fmt(f.receiverLoopDelayMs.max, 0)}` : '-',
    kind('minor'),
    kind('major'),
    gc ? fmt(gc.pausedPercent, 1) : '-',
    f.cpuWait ? ['backends', 'store', 'load'].map((g) => (f.cpuWait[g] ? `${fmt(f.cpuWait[g].percent, 0)} (${fmt(f.cpuWait[g].meanUs, 0)})` : '-')).join(' / ') : '-',
    fmt(f.stealPercent, 1),
  ];
}

/** The targets of issue 15 (2 cores, FerretDB as the store), in one place for verdicts and tables. */
export const TARGETS = Object.freeze({
  fanoutP99Ms: 50,
  ladderP99Ms: 100,
  ladderMinRate: 300,
  backendMsPerWrite: 1.5,
  storeMsPerWrite: 2,
  serverMsPerWrite: 4,
  backendMsPerPage: 0.5,
  storeCmdsPerWrite: 2,
  storeCmdsPerPage: 1,
  flatRatio: 1.5,
  listReqPerSec: 1000,
  caddyCost: 0.15,
  idleCpuPercent: 5,
  idleRssKB: 16,
  idleBackS: 10,
});
const EPS = 1e-9;
/** At most `limit`; a missing figure (nothing measured, a zero divisor) never passes. */
const atMost = (v, limit) => typeof v === 'number' && Number.isFinite(v) && v <= limit + EPS;
const atLeast = (v, limit) => typeof v === 'number' && Number.isFinite(v) && v >= limit - EPS;

// Results of version 1 (before the per-build rows) still render: one build, objects as lists.
function normalize(r) {
  const list = (x) => (Array.isArray(x) ? x : x ? [{ build: 'after', ...x }] : []);
  return {
    ...r,
    builds: r.builds ?? [{ id: 'after', label: 'after (working tree)' }],
    fanout: (r.fanout ?? []).filter((f) => !f.variant || f.variant === 'default'),
    ladder: r.ladder ?? [],
    http: list(r.http),
    flat: r.flat ?? [],
    parts: r.parts ?? [],
  };
}

const buildOf = (x) => (x.peer === 'nats' ? null : (x.build ?? 'after'));
const isAfter = (x) => x.peer !== 'nats' && buildOf(x) === 'after';
/** The row label of a record: the build when the run has two, else the server. */
function serverLabel(r, x) {
  if (x.peer === 'nats') return 'nats';
  if (r.builds.length < 2) return 'cobalt';
  return r.builds.find((b) => b.id === buildOf(x))?.label ?? buildOf(x);
}

const ms = (v, digits = 2) => fmt(v, digits);
const verdictText = (met, failures = []) => (met === true ? 'met' : met === false ? `NOT MET${failures.length ? ` (${failures.join('; ')})` : ''}` : '-');

/** Checks `[label, value, limit, kind]` rows; resolves with met and what failed. */
function check(rows) {
  const failures = [];
  for (const [label, value, limit, kind = 'max'] of rows) {
    const ok = kind === 'max' ? atMost(value, limit) : atLeast(value, limit);
    if (!ok) failures.push(typeof value === 'number' && Number.isFinite(value) ? `${label} ${fmt(value, 2)} ${kind === 'max' ? '>' : '<'} ${limit}` : `${label} not measured`);
  }
  return { met: failures.length === 0, failures };
}

/** Per acknowledged write: backend, store and server CPU, and store commands on the todo path. */
function writeCostVerdict(perWrite) {
  if (!perWrite || !perWrite.ops) return { met: false, failures: ['no write was acknowledged'] };
  return check([
    ['backends ms', perWrite.cpuMs.backends, TARGETS.backendMsPerWrite],
    ['store ms', perWrite.cpuMs.store, TARGETS.storeMsPerWrite],
    ['server side ms', perWrite.cpuMs.server, TARGETS.serverMsPerWrite],
    ['store commands', perWrite.storeCommands?.todoPath, TARGETS.storeCmdsPerWrite],
  ]);
}

function fanoutVerdict(f) {
  if (!f.writes.acked) return { met: false, failures: ['no write was acknowledged'] };
  const failed = f.writes.errorCount + f.deliveries.misdelivered;
  return check([
    ['p99 ms', f.latencyMs.p99, TARGETS.fanoutP99Ms],
    ['lost', f.deliveries.lost, 0],
    ['duplicated', f.deliveries.duplicated, 0],
    ['failed', failed, 0],
  ]);
}

/** A ladder step holds when p99 <= 100 ms and no write was lost, duplicated or failed. */
const stepHolds = (s) =>
  !s.skipped &&
  s.writes?.acked > 0 &&
  atMost(s.latencyMs.p99, TARGETS.ladderP99Ms) &&
  s.deliveries.lost === 0 &&
  s.deliveries.duplicated === 0 &&
  s.writes.errorCount === 0 &&
  s.deliveries.misdelivered === 0;
export const heldRate = (ladder) => Math.max(0, ...ladder.steps.filter(stepHolds).map((s) => s.ratePerSec));

const FLAT_FLOOR_MS = 0.05;

/** Ratios of the largest user's cost to the empty user's, per operation and process group (costs under FLAT_FLOOR_MS count as that). */
export function flatRatios(flat) {
  const users = flat.users ?? [];
  const first = users[0];
  const last = users.at(-1);
  const out = {};
  for (const op of ['write', 'writeKeyed', 'list', 'sync']) {
    for (const g of ['backends', 'store']) {
      const a = first?.ops?.[op]?.cpuMs?.[g];
      const b = last?.ops?.[op]?.cpuMs?.[g];
      // Below the resolution of the CPU clock (10 ms ticks over a few hundred operations) costs compare as equal.
      out[`${op}.${g}`] = typeof a === 'number' && typeof b === 'number' ? Math.max(b, FLAT_FLOOR_MS) / Math.max(a, FLAT_FLOOR_MS) : null;
    }
  }
  return out;
}

function flatVerdict(flat, op) {
  const ratios = flatRatios(flat);
  const users = flat.users ?? [];
  if (users.some((u) => !u.ops?.[op]?.ok)) return { met: false, failures: ['an operation did no work'] };
  return check([
    ['backends ratio', ratios[`${op}.backends`], TARGETS.flatRatio],
    ['store ratio', ratios[`${op}.store`], TARGETS.flatRatio],
  ]);
}

/** The issue's targets, each with its measured value and met (true/false), or null when not measured at full size or not run. */
export function evaluateTargets(raw) {
  const r = normalize(raw);
  const full = r.mode === 'full';
  const ran = (part) => r.parts.includes(part);
  const failedPart = (part) => (r.errors ?? []).find((e) => e.part.startsWith(part) && e.build === 'after');
  const notRun = (part) => (ran(part) ? `failed: ${failedPart(part)?.error ?? 'no result'}` : 'not run');
  const targets = [];
  const add = (t) => targets.push({ ...t, met: t.met === undefined ? null : t.met, ran: t.ran ?? true });

  // Fan-out: 3,000 sockets at 200 writes/s.
  const fans = r.fanout.filter(isAfter);
  const big = fans.find((f) => f.sockets >= 3000 && f.ratePerSec >= 200);
  const fan = big ?? fans.at(-1);
  {
    const v = fan ? fanoutVerdict(fan) : null;
    add({
      id: 'fanout-3000',
      target: `Fan-out, 3,000 sockets at 200 writes/s: p99 <= ${TARGETS.fanoutP99Ms} ms, 0 lost, 0 duplicated, 0 failed writes`,
      value: fan
        ? `${fmtInt(fan.sockets)} sockets at ${fan.ratePerSec}/s: p99 ${fmt(fan.latencyMs.p99)} ms, lost ${fan.deliveries.lost}, duplicated ${fan.deliveries.duplicated}, ${fmtInt(fan.writes.errorCount)} of ${fmtInt(fan.writes.offered)} writes failed`
        : notRun('fan-out'),
      met: fan ? (big ? v?.met : fan.writes.acked ? null : false) : ran('fanout') ? false : null,
      ran: ran('fanout'),
    });
  }

  // The capacity ladder.
  const ladder = r.ladder.find(isAfter);
  {
    const did = ladder?.steps.some((s) => s.writes?.acked > 0);
    const held = ladder ? heldRate(ladder) : null;
    add({
      id: 'ladder',
      target: `Capacity at 3,000 sockets: the highest rate held with p99 <= ${TARGETS.ladderP99Ms} ms (and nothing lost or failed) is >= ${TARGETS.ladderMinRate} writes/s`,
      value: ladder
        ? `${held ? `${held}/s` : 'none'} (${ladder.steps.map((s) => (s.skipped ? `${s.ratePerSec}/s not run` : `${s.ratePerSec}/s p99 ${fmt(s.latencyMs.p99, 0)} ms`)).join(', ')})`
        : notRun('ladder'),
      met: ladder ? (!did ? false : full && ladder.sockets >= 3000 ? (held ?? 0) >= TARGETS.ladderMinRate : null) : ran('ladder') ? false : null,
      ran: ran('ladder'),
    });
  }

  // CPU per write, from the 3,000-socket fan-out.
  {
    const p = fan?.perWrite;
    add({
      id: 'cpu-per-write',
      target: `CPU per write (fan-out, 3,000 sockets @ 200/s): backends <= ${TARGETS.backendMsPerWrite} ms, store <= ${TARGETS.storeMsPerWrite} ms, server side <= ${TARGETS.serverMsPerWrite} ms`,
      value: p
        ? `backends ${ms(p.cpuMs.backends)}, store ${ms(p.cpuMs.store)}, Caddy ${ms(p.cpuMs.caddy)}, Redis ${ms(p.cpuMs.redis)}, server side ${ms(p.cpuMs.server)} ms; load generators ${ms(p.cpuMs.load)} ms`
        : notRun('fan-out'),
      met: fan
        ? !fan.writes.acked
          ? false
          : big
            ? check([
                ['backends', p.cpuMs.backends, TARGETS.backendMsPerWrite],
                ['store', p.cpuMs.store, TARGETS.storeMsPerWrite],
                ['server', p.cpuMs.server, TARGETS.serverMsPerWrite],
              ]).met
            : null
        : ran('fanout')
          ? false
          : null,
      ran: ran('fanout'),
    });
  }

  // CPU per list page, from the HTTP list (through Caddy and direct, the worse of the two).
  const http = r.http.find(isAfter);
  const list = http?.results?.['rest-list'];
  {
    const worst = list ? Math.max(list.caddy.perRequest?.cpuMs.backends ?? Infinity, list.direct.perRequest?.cpuMs.backends ?? Infinity) : null;
    add({
      id: 'cpu-per-page',
      target: `CPU per list page (GET /api/todos?limit=20): backends <= ${TARGETS.backendMsPerPage} ms`,
      value: list
        ? `via Caddy ${ms(list.caddy.perRequest?.cpuMs.backends)} ms, direct ${ms(list.direct.perRequest?.cpuMs.backends)} ms (store ${ms(list.direct.perRequest?.cpuMs.store)} ms direct)`
        : notRun('http'),
      met: list ? (!list.caddy.requests || !list.direct.requests ? false : full ? atMost(worst, TARGETS.backendMsPerPage) : null) : ran('http') ? false : null,
      ran: ran('http'),
    });
  }

  // Round trips: store commands per write (keyed or not) and per list page; Redis per write shown.
  const flat = r.flat.find(isAfter);
  {
    // The worst figure of each kind of measurement.
    const perWrites = {};
    const perPages = {};
    const note = (into, key, v) => {
      into[key] = Math.max(into[key] ?? -Infinity, typeof v === 'number' && Number.isFinite(v) ? v : Infinity);
    };
    for (const u of flat?.users ?? []) {
      note(perWrites, 'flat', u.ops?.write?.storeCommands?.todoPath);
      note(perWrites, 'flat keyed', u.ops?.writeKeyed?.storeCommands?.todoPath);
      note(perPages, 'flat', u.ops?.list?.storeCommands?.todoPath);
    }
    for (const f of fans) note(perWrites, `fan-out ${f.name}`, f.perWrite?.storeCommands?.todoPath);
    const create = http?.results?.['rest-create'];
    if (create) {
      note(perWrites, 'HTTP create via Caddy', create.caddy.perRequest?.storeCommands?.todoPath);
      note(perWrites, 'HTTP create direct', create.direct.perRequest?.storeCommands?.todoPath);
    }
    if (list) {
      note(perPages, 'HTTP via Caddy', list.caddy.perRequest?.storeCommands?.todoPath);
      note(perPages, 'HTTP direct', list.direct.perRequest?.storeCommands?.todoPath);
    }
    const worst = (o) => Math.max(...Object.values(o));
    const show = (o) =>
      Object.entries(o)
        .map(([k, v]) => `${k} ${Number.isFinite(v) ? fmt(v, 2) : 'not counted'}`)
        .join(', ');
    const nw = Object.keys(perWrites).length;
    const np = Object.keys(perPages).length;
    const redisPerWrite = fan?.perWrite?.redisCommands?.all ?? flat?.users?.at(-1)?.ops?.write?.redisCommands?.all ?? create?.direct.perRequest?.redisCommands?.all;
    add({
      id: 'round-trips',
      target: `Round trips: <= ${TARGETS.storeCmdsPerWrite} store commands per acknowledged write (keyed or not), <= ${TARGETS.storeCmdsPerPage} per list page (driver command monitoring, todo collections)`,
      value:
        nw + np
          ? `per write ${nw ? show(perWrites) : 'not measured'}; per list page ${np ? show(perPages) : 'not measured'}; Redis commands per write ${fmt(redisPerWrite, 1)}`
          : 'not run',
      met:
        nw + np
          ? (nw ? atMost(worst(perWrites), TARGETS.storeCmdsPerWrite) : true) && (np ? atMost(worst(perPages), TARGETS.storeCmdsPerPage) : true)
          : ran('flat') || ran('fanout') || ran('http')
            ? false
            : null,
      ran: ran('flat') || ran('fanout') || ran('http'),
    });
  }

  // Flat cost.
  {
    const users = flat?.users ?? [];
    const sizes = users.map((u) => u.seeded ?? u.todos);
    const short = users.some((u) => (u.seeded ?? u.todos) < u.todos);
    const ratios = flat ? flatRatios(flat) : {};
    const verdicts = flat ? ['write', 'writeKeyed', 'list', 'sync'].map((op) => flatVerdict(flat, op)) : [];
    add({
      id: 'flat',
      target: `Flat cost: backend and store CPU per write, list page and sync for a user with 10,000 todos within ${TARGETS.flatRatio}x of a user with none`,
      value: flat
        ? `${short ? `seeding stopped short (${users.map((u) => `${fmtInt(u.seeded)} of ${fmtInt(u.todos)}`).join(', ')}); ` : ''}${fmtInt(sizes.at(-1))} vs ${fmtInt(sizes[0])} todos: ${['write', 'writeKeyed', 'list', 'sync'].map((op) => `${op} ${fmt(ratios[`${op}.backends`], 2)}x / ${fmt(ratios[`${op}.store`], 2)}x`).join(', ')} (backends / store)`
        : notRun('flat'),
      met: flat
        ? short || verdicts.some((v) => !v.met && v.failures[0] === 'an operation did no work')
          ? false
          : full && sizes.at(-1) >= 10_000
            ? verdicts.every((v) => v.met)
            : null
        : ran('flat')
          ? false
          : null,
      ran: ran('flat'),
    });
  }

  // Reads through Caddy.
  {
    add({
      id: 'reads',
      target: `Reads: GET /api/todos?limit=20 >= ${fmtInt(TARGETS.listReqPerSec)} req/s through Caddy, Caddy costing <= ${100 * TARGETS.caddyCost}% against direct`,
      value: list
        ? `${fmtInt(list.caddy.reqPerSec)} req/s through Caddy, ${fmtInt(list.direct.reqPerSec)} direct: Caddy costs ${fmt(100 * list.caddyCost, 0)}%${list.caddyOne ? ` (a Caddy in front of that one backend alone: ${fmt(100 * list.caddyOneCost, 0)}%)` : ''}`
        : notRun('http'),
      met: list
        ? !list.caddy.requests || !list.direct.requests
          ? false
          : full
            ? atLeast(list.caddy.reqPerSec, TARGETS.listReqPerSec) && atMost(list.caddyCost, TARGETS.caddyCost)
            : null
        : ran('http')
          ? false
          : null,
      ran: ran('http'),
    });
    const gql = http?.results?.['graphql-page'];
    if (gql && list) {
      const ratioDirect = gql.direct.reqPerSec / list.direct.reqPerSec;
      const ratioCaddy = gql.caddy.reqPerSec / list.caddy.reqPerSec;
      const reads = http.postgresReadsPerGraphqlPage;
      add({
        id: 'graphql-ratio',
        target: 'GraphQL todos-with-owner: 1 Postgres query per page, >= 70% of REST list throughput (issue 6)',
        value: `${fmt(100 * ratioDirect, 0)}% direct, ${fmt(100 * ratioCaddy, 0)}% via Caddy; ${reads ? `${fmt(reads.perRequest?.users ?? 0, 2)} users-table reads per page (${fmt(reads.total, 2)} Postgres table reads in all)` : 'reads not counted'}`,
        met:
          !gql.caddy.requests || !gql.direct.requests
            ? false
            : full
              ? atLeast(ratioDirect, 0.7) && atLeast(ratioCaddy, 0.7) && reads !== undefined && atMost(reads.total, 1.05)
              : null,
      });
    }
  }

  // Idle sockets.
  {
    const idle = r.idle?.cobalt;
    const v = idle ? idleVerdict(idle) : null;
    add({
      id: 'idle',
      target: `Idle: 9,500 connected sockets cost <= ${TARGETS.idleCpuPercent}% of a core (backends and Caddy), <= ${TARGETS.idleRssKB} KB backend RSS per socket, and are all back within ${TARGETS.idleBackS} s of a backend restart`,
      value: idle
        ? `${fmtInt(idle.sockets)} sockets${r.idleLimit ? ` (${fmtInt(r.idleLimit.wanted)} do not fit the open-files limit of ${fmtInt(r.idleLimit.openFilesLimit)})` : ''}: idle CPU ${fmt(idleCpu(idle), 1)}% of a core, ${fmt(idle.rssPerSocketBytes / KB)} KB per socket, all back after ${idle.restart?.allReconnectedMs ? `${fmt(idle.restart.allReconnectedMs / 1000)} s` : 'never (within the limit)'}`
        : notRun('idle'),
      met: idle ? (!idle.sockets ? false : idle.sockets >= 9_000 ? v?.met : null) : ran('idle') ? false : null,
      ran: ran('idle'),
    });
  }
  return targets;
}

/** Idle CPU of the servers holding the sockets: the backends (from their /metrics) and Caddy. */
const idleCpu = (i) => (i.idleCpuPercent ?? NaN) + (i.idleCpuPercentOtherServices?.caddy ?? 0);
function idleVerdict(i) {
  if (!i.sockets) return { met: false, failures: ['no socket connected'] };
  return check([
    ['idle CPU %', idleCpu(i), TARGETS.idleCpuPercent],
    ['KB per socket', i.rssPerSocketBytes / KB, TARGETS.idleRssKB],
    ['all back s', i.restart?.allReconnectedMs == null ? NaN : i.restart.allReconnectedMs / 1000, TARGETS.idleBackS],
  ]);
}

const cmdList = (byCommand, limit = 6) =>
  Object.entries(byCommand ?? {})
    .slice(0, limit)
    .map(([k, v]) => `${k} ${fmt(v, 2)}`)
    .join(', ') || '-';

export function renderTables(raw) {
  const r = normalize(raw);
  const out = [];
  const two = r.builds.length > 1;
  // Quick runs are too short for CPU figures to be read against a target (10 ms ticks over a few dozen operations).
  const quickNote = r.mode === 'quick' ? ' (quick size: indicative only)' : '';
  if (two) {
    const b = r.builds.find((x) => x.id === 'before');
    out.push(
      `**Builds**: after = the working tree; before = ${b.ref} (${b.commit?.slice(0, 9)}: ${b.subject ?? ''}). Both on the same cluster setup (scripts/cluster.mjs of the working tree), in this run, the store reset between.\n`,
    );
  }

  // Fan-out.
  const fan = r.fanout;
  if (fan.length) {
    out.push(
      `**Fan-out** (write sent -> each receipt, all devices of the writing user; writes mixed REST / GraphQL / socket for Cobalt). Target at 3,000 sockets @ 200/s: p99 <= ${TARGETS.fanoutP99Ms} ms, 0 lost, 0 duplicated, 0 failed\n`,
    );
    out.push(
      markdownTable(
        ['scenario', 'server', 'sockets', 'writes/s', 'acked', 'deliveries', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'lost', 'dup', 'errors', 'other load', 'verdict'],
        fan.map((f) => {
          const v = fanoutVerdict(f);
          const judged = f.peer !== 'nats' && f.sockets >= 3000 && f.ratePerSec >= 200;
          return [
            f.name,
            serverLabel(r, f),
            fmtInt(f.sockets),
            f.ratePerSec,
            `${fmtInt(f.writes.acked)}/${fmtInt(f.writes.offered)}`,
            fmtInt(f.deliveries.received),
            fmt(f.latencyMs.p50),
            fmt(f.latencyMs.p95),
            fmt(f.latencyMs.p99),
            fmt(f.latencyMs.max),
            f.deliveries.lost,
            // Repeats, and how many of them the SDK took as new (it drops a seq it has); the peer's client says nothing.
            f.deliveries.duplicated && f.deliveries.duplicatedAsNew !== undefined && f.peer !== 'nats'
              ? `${f.deliveries.duplicated} (${f.deliveries.duplicatedAsNew} as new)`
              : f.deliveries.duplicated,
            f.writes.errorCount + f.deliveries.misdelivered,
            `${fmt(f.otherLoadPercent, 0)}%`,
            judged || !f.writes.acked ? verdictText(v.met, v.failures) : '-',
          ];
        }),
      ),
    );
    out.push(
      `\nCost per acknowledged write in the write window: CPU ms by process group (server side = backends + store + Caddy + Redis + Postgres), MongoDB commands the backends sent (todo collections / all) and Redis commands. Targets: backends <= ${TARGETS.backendMsPerWrite} ms, store <= ${TARGETS.storeMsPerWrite} ms, server side <= ${TARGETS.serverMsPerWrite} ms, <= ${TARGETS.storeCmdsPerWrite} store commands\n`,
    );
    out.push(
      markdownTable(
        ['scenario', 'server', 'backends', 'store', 'Caddy', 'Redis', 'server side', 'load generators', 'store cmds', 'Redis cmds', 'verdict'],
        fan.map((f) => {
          const p = f.perWrite;
          const nats = f.peer === 'nats';
          const v = writeCostVerdict(p);
          return [
            f.name,
            serverLabel(r, f),
            nats ? '-' : ms(p?.cpuMs.backends),
            nats ? '-' : ms(p?.cpuMs.store),
            nats ? '-' : ms(p?.cpuMs.caddy),
            nats ? '-' : ms(p?.cpuMs.redis),
            ms(p?.cpuMs.server),
            ms(p?.cpuMs.load),
            p?.storeCommands ? `${fmt(p.storeCommands.todoPath, 2)} / ${fmt(p.storeCommands.all, 2)}` : nats ? '-' : 'not counted',
            p?.redisCommands ? fmt(p.redisCommands.all, 1) : '-',
            nats ? '-' : verdictText(v.met, v.failures),
          ];
        }),
      ),
    );
    const cob = fan.filter((f) => f.peer === 'cobalt');
    if (cob.some((f) => f.perWrite?.storeCommands || f.perWrite?.redisCommands)) {
      out.push('\nCommands per write by command (Cobalt):\n');
      out.push(
        markdownTable(
          ['scenario', 'server', 'store (command collection)', 'Redis (busiest)'],
          cob.map((f) => [
            f.name,
            serverLabel(r, f),
            f.perWrite?.storeCommands ? cmdList(f.perWrite.storeCommands.byCommand) : 'not counted (no store-command metric in this build)',
            cmdList(f.perWrite?.redisCommands?.byCommand, 5),
          ]),
        ),
      );
    }
    if (cob.length) {
      out.push('\nCobalt per write path (p50 / p99 ms):\n');
      out.push(
        markdownTable(
          ['scenario', 'server', 'REST', 'GraphQL', 'socket', 'write answered (p50 / p99)'],
          cob.map((f) => [
            f.name,
            serverLabel(r, f),
            ...['rest', 'graphql', 'socket'].map((c) => (f.latencyByChannelMs[c] ? `${fmt(f.latencyByChannelMs[c].p50)} / ${fmt(f.latencyByChannelMs[c].p99)}` : '-')),
            `${fmt(f.ackMs.p50)} / ${fmt(f.ackMs.p99)}`,
          ]),
        ),
      );
      out.push('\nCPU during the write window, % of one core (2 cores = 200%):\n');
      const group = (f, test) =>
        Object.entries(f.cpuPercent ?? {})
          .filter(([k]) => test(k))
          .reduce((a, [, v]) => a + v, 0);
      out.push(
        markdownTable(
          ['scenario', 'server', 'backends', 'store', 'Caddy', 'Redis', 'Postgres', 'load generators', 'other work'],
          fan.map((f) => [
            f.name,
            serverLabel(r, f),
            f.peer === 'cobalt'
              ? fmt(
                  group(f, (k) => k.startsWith('backend-')),
                  0,
                )
              : fmt(
                  group(f, (k) => k === 'nats-server'),
                  0,
                ),
            fmt(
              group(f, (k) => k === 'mongo' || k === 'mongo-store' || k.startsWith('store-')),
              0,
            ),
            fmt(
              group(f, (k) => k === 'caddy'),
              0,
            ),
            fmt(
              group(f, (k) => k === 'redis'),
              0,
            ),
            fmt(
              group(f, (k) => k === 'postgres'),
              0,
            ),
            fmt(
              group(f, (k) => /client|writer/.test(k)),
              0,
            ),
            fmt(f.otherLoadPercent, 0),
          ]),
        ),
      );
      out.push('\nCobalt p50 / p99 ms by when the write was sent, in sixths of the run (is it getting slower as data piles up?):\n');
      out.push(
        markdownTable(
          ['scenario', 'server', ...cob[0].latencyBySliceMs.map((_, i) => `${i + 1}/6`), 'todos at end'],
          cob.map((f) => [f.name, serverLabel(r, f), ...f.latencyBySliceMs.map((x) => `${fmt(x.p50, 0)} / ${fmt(x.p99, 0)}`), fmtInt(f.storeAtEnd?.todos)]),
        ),
      );
      out.push(pausesHeading);
      out.push(
        markdownTable(
          PAUSE_COLUMNS,
          cob.map((f) => [f.name, serverLabel(r, f), ...pauseCells(f)]),
        ),
      );
      if (cob.some((f) => f.slowWrites?.rest)) {
        out.push(
          '\nSlow writes, inside the backend or outside it: the share of REST / GraphQL writes slower than 10, 25 and 50 ms as the backends timed them (their request-duration histogram: from reading the request to the answer written) and as the writer did (from sending to the answer read):\n',
        );
        const share = (list, i) => (list ? `${fmt(list[i].backendPercent, 1)} / ${fmt(list[i].writerPercent, 1)}` : '-');
        out.push(
          markdownTable(
            ['scenario', 'server', ...[10, 25, 50].flatMap((ms) => [`REST > ${ms} ms, backends / writer %`, `GraphQL > ${ms} ms`])],
            cob.map((f) => [f.name, serverLabel(r, f), ...[0, 1, 2].flatMap((i) => [share(f.slowWrites?.rest, i), share(f.slowWrites?.graphql, i)])]),
          ),
        );
      }
    }
  }

  // The capacity ladder.
  if (r.ladder.length) {
    const rates = [...new Set(r.ladder.flatMap((l) => l.steps.map((s) => s.ratePerSec)))].sort((a, b) => a - b);
    const stepOf = (l, rate) => l.steps.find((s) => s.ratePerSec === rate);
    const l0 = r.ladder[0];
    out.push(
      `\n**Capacity ladder** (${fmtInt(l0.sockets)} sockets connected once, ${l0.stepS} s per step, a short quiet wait between steps; a step after one where the server did not keep up is not run). p50 / p99 ms, and failed or lost writes where any. Target: Cobalt holds >= ${TARGETS.ladderMinRate} writes/s with p99 <= ${TARGETS.ladderP99Ms} ms\n`,
    );
    const cell = (s) => {
      if (!s) return '-';
      if (s.skipped) return 'not run';
      const bad = s.writes.errorCount + s.deliveries.lost + s.deliveries.duplicated + s.deliveries.misdelivered;
      return `${fmt(s.latencyMs.p50)} / ${fmt(s.latencyMs.p99)}${bad ? ` (${fmtInt(s.writes.errorCount)} failed, ${fmtInt(s.deliveries.lost)} lost)` : ''}`;
    };
    out.push(
      markdownTable(
        ['server', ...rates.map((x) => `${x}/s`), `highest rate with p99 <= ${TARGETS.ladderP99Ms} ms`, 'verdict'],
        r.ladder.map((l) => {
          const held = heldRate(l);
          const did = l.steps.some((s) => s.writes?.acked > 0);
          const verdict =
            l.peer === 'nats'
              ? '-'
              : !did
                ? 'NOT MET (no write acknowledged)'
                : l.sockets >= 3000
                  ? verdictText(held >= TARGETS.ladderMinRate, held >= TARGETS.ladderMinRate ? [] : [`${held ? `${held}/s` : 'no step held'} < ${TARGETS.ladderMinRate}/s`])
                  : '-';
          return [serverLabel(r, l), ...rates.map((x) => cell(stepOf(l, x))), held ? `${held}/s` : 'none', verdict];
        }),
      ),
    );
    out.push(
      '\nCPU per step: server side (backends + store + Caddy + Redis + Postgres, or the peer) in % of one core, ms per acknowledged write (backends / store / server side), and other work on the machine meanwhile:\n',
    );
    out.push(
      markdownTable(
        ['server', ...rates.map((x) => `${x}/s`)],
        r.ladder.map((l) => [
          serverLabel(r, l),
          ...rates.map((x) => {
            const s = stepOf(l, x);
            if (!s || s.skipped) return s?.skipped ? 'not run' : '-';
            const p = s.perWrite;
            const serverPct = (100 * (p.cpuMs.server ?? 0) * (p.ops ?? 0)) / 1000 / p.seconds;
            const other = ` (other ${fmt(s.otherLoadPercent, 0)}%)`;
            return l.peer === 'nats'
              ? `${fmt(serverPct, 0)}%: ${ms(p.cpuMs.server)}${other}`
              : `${fmt(serverPct, 0)}%: ${ms(p.cpuMs.backends)} / ${ms(p.cpuMs.store)} / ${ms(p.cpuMs.server)}${other}`;
          }),
        ]),
      ),
    );
    const ran = r.ladder.filter((l) => l.peer === 'cobalt').flatMap((l) => l.steps.filter((s) => !s.skipped).map((s) => [serverLabel(r, l), s]));
    if (ran.length) {
      out.push(pausesHeading.replace(':\n', ', per step:\n'));
      out.push(
        markdownTable(
          ['rate', ...PAUSE_COLUMNS.slice(1)],
          ran.map(([label, s]) => [`${s.ratePerSec}/s`, label, ...pauseCells(s)]),
        ),
      );
    }
    const skipped = r.ladder
      .filter((l) => l.steps.some((s) => s.skipped))
      .map(
        (l) =>
          `${serverLabel(r, l)} ${l.steps
            .filter((s) => s.skipped)
            .map((s) => `${s.ratePerSec}/s`)
            .join(', ')} (${l.steps.find((s) => s.skipped).skipped.replace(/^not run: /, '')})`,
      );
    if (skipped.length) out.push(`\nSteps not run, the one before having saturated the server: ${skipped.join('; ')}.`);
  }

  // HTTP.
  for (const h of r.http) {
    if (!h.results) continue;
    const title = two ? `, ${serverLabel(r, h)}` : '';
    out.push(
      `\n**HTTP**${title} (${h.connections} connections, closed loop, about ${h.secondsPerTarget} s per target in two runs, Caddy and direct interleaved). Per request: CPU ms by process, MongoDB commands (todo collections / all), Redis commands. Targets: the list >= ${fmtInt(TARGETS.listReqPerSec)} req/s through Caddy, Caddy <= ${100 * TARGETS.caddyCost}%, backends <= ${TARGETS.backendMsPerPage} ms and <= ${TARGETS.storeCmdsPerPage} store command per page\n`,
    );
    const row = (e, key, via, x) => {
      const p = x.perRequest;
      let verdict = '-';
      if (key === 'rest-list' && via !== 'caddyOne') {
        const v = check([
          ...(via === 'caddy'
            ? [
                ['req/s', x.reqPerSec, TARGETS.listReqPerSec, 'min'],
                ['Caddy cost', e.caddyCost, TARGETS.caddyCost],
              ]
            : []),
          ['backends ms', p?.cpuMs.backends, TARGETS.backendMsPerPage],
          ['store commands', p?.storeCommands?.todoPath, TARGETS.storeCmdsPerPage],
        ]);
        verdict = x.requests ? verdictText(v.met, v.failures) : 'NOT MET (no request answered)';
      } else if (!x.requests) verdict = 'NOT MET (no request answered)';
      return [
        e.label,
        { caddy: 'Caddy', direct: 'direct', caddyOne: 'Caddy, that backend alone' }[via],
        fmtInt(x.reqPerSec),
        fmt(x.latencyMs.p50),
        fmt(x.latencyMs.p99),
        x.errors + x.non2xx,
        via === 'caddy' ? `${fmt(100 * e.caddyCost, 0)}%` : via === 'caddyOne' ? `${fmt(100 * e.caddyOneCost, 0)}%` : '',
        ms(p?.cpuMs.backends),
        ms(p?.cpuMs.caddy),
        ms(p?.cpuMs.store),
        ms(p?.cpuMs.redis),
        ms(p?.cpuMs.load),
        p?.storeCommands ? `${fmt(p.storeCommands.todoPath, 2)} / ${fmt(p.storeCommands.all, 2)}` : 'not counted',
        p?.redisCommands ? fmt(p.redisCommands.all, 1) : '-',
        `${fmt(x.otherLoadPercent, 0)}%`,
        verdict,
      ];
    };
    out.push(
      markdownTable(
        [
          'request',
          'via',
          'req/s',
          'p50 ms',
          'p99 ms',
          'errors',
          'Caddy cost',
          'CPU backends',
          'CPU Caddy',
          'CPU store',
          'CPU Redis',
          'CPU load gen',
          'store cmds',
          'Redis cmds',
          'other load',
          `verdict${quickNote}`,
        ],
        Object.entries(h.results).flatMap(([key, e]) => [
          row(e, key, 'caddy', e.caddy),
          row(e, key, 'direct', e.direct),
          ...(e.caddyOne ? [row(e, key, 'caddyOne', e.caddyOne)] : []),
        ]),
      ),
    );
    const cmds = Object.values(h.results).filter((e) => e.direct.perRequest?.storeCommands);
    if (cmds.length) out.push(`\nStore commands per request (direct): ${cmds.map((e) => `${e.label}: ${cmdList(e.direct.perRequest.storeCommands.byCommand, 4)}`).join('; ')}`);
    const reads = h.postgresReadsPerGraphqlPage;
    if (reads)
      out.push(
        `\nPostgres table reads per GraphQL page (${reads.count} pages): ${
          Object.entries(reads.perRequest)
            .map(([t, n]) => `${t} ${fmt(n, 2)}`)
            .join(', ') || 'none'
        }`,
      );
  }

  // Flat cost.
  if (r.flat.length) {
    const f0 = r.flat[0];
    const sizes = (f0.users ?? []).map((u) => u.todos);
    out.push(
      `\n**Flat cost** (${f0.k} operations of each kind per user, the writes half without and half with an Idempotency-Key, one at a time, direct to backend-1, cluster otherwise quiet; per operation; in the ratios, costs under ${FLAT_FLOOR_MS} ms count as ${FLAT_FLOOR_MS} ms). Target: backend and store CPU for ${fmtInt(sizes.at(-1))} todos within ${TARGETS.flatRatio}x of 0; <= ${TARGETS.storeCmdsPerWrite} store commands per write, <= ${TARGETS.storeCmdsPerPage} per list page\n`,
    );
    const ops = [
      ['write', 'write'],
      ['writeKeyed', 'write, keyed'],
      ['list', 'list page'],
      ['sync', 'sync'],
    ];
    /** @type {[string, (o: any) => string][]} */
    const measures = [
      ['backend CPU ms', (o) => ms(o?.cpuMs.backends)],
      ['store CPU ms', (o) => ms(o?.cpuMs.store)],
      ['server-side CPU ms', (o) => ms(o?.cpuMs.server)],
      ['client CPU ms', (o) => ms(o?.cpuMs.load)],
      ['store cmds', (o) => (o?.storeCommands ? `${fmt(o.storeCommands.todoPath, 2)} / ${fmt(o.storeCommands.all, 2)}` : 'not counted')],
      ['Redis cmds', (o) => (o?.redisCommands ? fmt(o.redisCommands.all, 2) : '-')],
      ['wall p50 ms', (o) => fmt(o?.wallMs?.p50, 2)],
      ['failed', (o) => (o ? `${o.errorCount}${o.errorCount ? ` ${JSON.stringify(o.errors)}` : ''}` : '-')],
    ];
    const rows = [];
    for (const [op, opLabel] of ops) {
      for (const f of r.flat) {
        const users = f.users ?? [];
        const ratios = flatRatios(f);
        const v = flatVerdict(f, op);
        measures.forEach(([m, get], i) => {
          const ratio = m === 'backend CPU ms' ? ratios[`${op}.backends`] : m === 'store CPU ms' ? ratios[`${op}.store`] : null;
          rows.push([
            i === 0 ? opLabel : '',
            two ? serverLabel(r, f) : '',
            m,
            ...users.map((u) => get(u.ops?.[op])),
            ratio === null ? '' : `${fmt(ratio, 2)}x`,
            i === 0 ? verdictText(v.met, v.failures) : '',
          ]);
        });
      }
    }
    for (const f of r.flat) {
      const users = f.users ?? [];
      if (users.some((u) => (u.seeded ?? u.todos) < u.todos))
        rows.unshift([
          'todos seeded',
          two ? serverLabel(r, f) : '',
          `within ${f.seedBudgetS ?? '?'} s`,
          ...users.map((u) => `${fmtInt(u.seeded)}${u.seeded < u.todos ? ' (stopped)' : ''}`),
          '',
          '',
        ]);
    }
    const headers = [
      'operation',
      two ? 'build' : '',
      'per operation',
      ...sizes.map((n) => `${fmtInt(n)} todos`),
      `${fmtInt(sizes.at(-1))} / 0`,
      `verdict (<= ${TARGETS.flatRatio}x)${quickNote}`,
    ];
    const keep = headers.map((h, i) => i !== 1 || two);
    out.push(
      markdownTable(
        headers.filter((_, i) => keep[i]),
        rows.map((row) => row.filter((_, i) => keep[i])),
      ),
    );
    out.push(`\nStore commands by command (command collection), per operation, at ${fmtInt(sizes.at(-1))} todos:\n`);
    out.push(
      markdownTable(
        ['operation', 'build', 'store', 'Redis (busiest)'],
        r.flat.flatMap((f) =>
          ops.map(([op, opLabel]) => [
            opLabel,
            serverLabel(r, f),
            f.users?.at(-1)?.ops?.[op]?.storeCommands ? cmdList(f.users.at(-1).ops[op].storeCommands.byCommand) : 'not counted',
            cmdList(f.users?.at(-1)?.ops?.[op]?.redisCommands?.byCommand, 4),
          ]),
        ),
      ),
    );
    const idles = r.flat
      .filter((f) => f.idleCpuPercent)
      .map((f) => `${two ? `${serverLabel(r, f)}: ` : ''}backends ${fmt(f.idleCpuPercent.backends, 1)}%, store ${fmt(f.idleCpuPercent.store, 1)}% of a core`);
    if (idles.length)
      out.push(
        `\nThe same processes with nothing to do (scrapes, health checks, timers), counted in every figure above in proportion to its phase's length: ${idles.join('; ')}. At one operation every w ms that is idle% x w / 100 ms of each operation's CPU.`,
      );
    const firsts = r.flat.flatMap((f) =>
      (f.users ?? [])
        .filter((u) => u.first?.storeCommands)
        .map((u) => `${two ? `${serverLabel(r, f)} ` : ''}${fmtInt(u.todos)} todos: ${cmdList(u.first.storeCommands.byCommand, 8)}`),
    );
    if (firsts.length) out.push(`\nEach user's first write, measured apart (a user whose head is not in Redis yet reads it from the store): ${firsts.join('; ')}.`);
    const seeds = r.flat.flatMap((f) => (f.users ?? []).filter((u) => u.todos).map((u) => `${serverLabel(r, f)} ${fmtInt(u.todos)} todos at ${fmtInt(u.seed?.perSec)} writes/s`));
    if (seeds.length) out.push(`\nSeeding through the API (8 at a time, direct to backend-1): ${seeds.join('; ')}.`);
  }

  // The FerretDB floor.
  if (r.floor?.rows) {
    const cols = r.floor.rows;
    out.push(
      `\n**The FerretDB floor** (${r.floor.store}, sent one at a time straight from the harness, ${r.floor.n} of each; CPU ms per command of FerretDB + its PostgreSQL = total, and wall time p50), with other users' documents in each collection\n`,
    );
    const names = {
      createPair: 'insertMany [entry, todo] ordered: a create',
      insertEntry: 'insert entry (string _id): first half of an update',
      insertTodo: 'insert todo alone (for comparison)',
      findAndModify: 'findAndModify {_id, userId, alive, seq $lt} $set/$inc',
      listPage: 'find {userId, pb, alive} (28 docs: list page)',
      syncBucket: 'find {userId, sb} (32 docs: sync bucket)',
      ping: 'ping',
    };
    const cell = (c) => (c ? `${ms(c.ferretMs)} + ${ms(c.pgMs)} = ${ms(c.totalMs)} (${fmt(c.wallMs?.p50, 2)})` : '-');
    const rows = Object.entries(names).map(([k, label]) => [label, ...cols.map((row) => cell(row.commands[k]))]);
    const sumOf = (row, keys) => keys.reduce((a, k) => a + (row.commands[k]?.totalMs ?? NaN), 0);
    rows.push(['= a create (one insertMany)', ...cols.map((row) => `${ms(sumOf(row, ['createPair']))} ms`)]);
    rows.push(['= an update (entry + findAndModify)', ...cols.map((row) => `${ms(sumOf(row, ['insertEntry', 'findAndModify']))} ms`)]);
    out.push(markdownTable(['command', ...cols.map((row) => `${fmtInt(row.others)} other documents`)], rows));
  } else if (r.floor?.error) out.push(`\n**The FerretDB floor**: failed: ${r.floor.error}`);

  // Idle.
  const idles = Object.values(r.idle ?? {});
  if (idles.length) {
    out.push(
      `\n**Idle connections** (server RSS per socket = RSS after - RSS before, over all server processes${idles.some((i) => i.memoryAfterGc) ? "; Cobalt's two readings each after a full GC in every backend: before the sockets connect, and after the idle window" : ''}; idle CPU over ${idles[0].idleSeconds ?? '?'} s with nothing happening). Target: idle CPU <= ${TARGETS.idleCpuPercent}% of a core (backends + Caddy), <= ${TARGETS.idleRssKB} KB per socket, all back within ${TARGETS.idleBackS} s of a backend restart\n`,
    );
    out.push(
      markdownTable(
        [
          'server',
          'sockets',
          'connect/s',
          'RSS/socket',
          'JS heap/socket',
          'idle CPU',
          'idle CPU Caddy',
          'the same, no sockets',
          'restart',
          'dropped',
          'all back after',
          'other load',
          'verdict',
        ],
        idles.map((i) => {
          const v = idleVerdict(i);
          return [
            i.peer === 'cobalt' && i.name ? i.name : i.peer,
            fmtInt(i.sockets),
            fmtInt(i.connectPerSec),
            `${fmt(i.rssPerSocketBytes / KB)} KB`,
            i.heapPerSocketBytes === null || i.heapPerSocketBytes === undefined ? '-' : `${fmt(i.heapPerSocketBytes / KB)} KB`,
            `${fmt(i.idleCpuPercent, 1)}%`,
            i.peer === 'cobalt' ? `${fmt(i.idleCpuPercentOtherServices?.caddy, 1)}%` : '-',
            i.noSockets
              ? `${fmt(i.noSockets.cpuPercent, 1)}%${i.noSockets.caddyCpuPercent === null || i.noSockets.caddyCpuPercent === undefined ? '' : ` + Caddy ${fmt(i.noSockets.caddyCpuPercent, 1)}%`}`
              : '-',
            i.restart?.error ? 'failed' : (i.restart?.target ?? '-'),
            i.restart ? fmtInt(i.restart.socketsDropped) : '-',
            i.restart?.allReconnectedMs === null || i.restart?.allReconnectedMs === undefined
              ? i.restart
                ? `${fmtInt(i.restart.reconnected)} back`
                : '-'
              : `${fmt(i.restart.allReconnectedMs / 1000)} s`,
            `${fmt(i.otherLoadPercent, 0)}%`,
            i.peer === 'cobalt' && (i.build ?? 'after') === 'after' && (i.sockets >= 9000 || !i.sockets) ? verdictText(v.met, v.failures) : '-',
          ];
        }),
      ),
    );
  }

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
          ...r.builds.filter((b) => b.startedInMs).map((b) => [`${b.label}: the cluster again, its backends on that build`, fmt(b.startedInMs / 1000)]),
        ],
      ),
    );
  }
  if (r.peer) {
    out.push(`\n**Peer**: ${r.peer.name}${r.peer.error ? ` — not measured: ${r.peer.error}` : ''}\n`);
    if (r.peer.ratios?.length)
      out.push(
        markdownTable(
          ['measure', 'Cobalt', 'peer', 'Cobalt / peer'],
          r.peer.ratios.map((x) => [x.measure, x.cobalt, x.peer, `${fmt(x.ratio, 1)}x`]),
        ),
      );
  }
  if (r.errors?.length)
    out.push(`\n**Failed scenarios**: ${r.errors.map((e) => `${e.part} (${r.builds.find((b) => b.id === e.build)?.label ?? e.build}): ${e.error}`).join('; ')}`);
  const targets = r.targets ?? [];
  if (targets.length) {
    out.push("\n**Targets** (issue 15; judged on the working tree's build)\n");
    out.push(
      markdownTable(
        ['target', 'measured', 'verdict'],
        targets.map((t) => [t.target, t.value, t.met === true ? 'met' : t.met === false ? 'NOT MET' : t.ran === false ? 'not run' : 'not measured at full size']),
      ),
    );
  }
  return out.join('\n');
}

/** Ratios Cobalt (the working tree's build) / peer for the scenarios both ran. */
export function peerRatios(raw) {
  const r = normalize(raw);
  const ratios = [];
  for (const f of r.fanout.filter((x) => x.peer === 'nats')) {
    for (const c of r.fanout.filter((x) => isAfter(x) && x.name === f.name)) {
      for (const k of ['p50', 'p99'])
        ratios.push({ measure: `fan-out ${f.name} ${k}`, cobalt: `${fmt(c.latencyMs[k])} ms`, peer: `${fmt(f.latencyMs[k])} ms`, ratio: c.latencyMs[k] / f.latencyMs[k] });
    }
  }
  const lc = r.ladder.find(isAfter);
  const ln = r.ladder.find((l) => l.peer === 'nats');
  if (lc && ln)
    ratios.push({
      measure: `ladder: highest rate with p99 <= ${TARGETS.ladderP99Ms} ms`,
      cobalt: `${heldRate(lc)}/s`,
      peer: `${heldRate(ln)}/s${ln.steps.every(stepHolds) ? ' (every step)' : ''}`,
      ratio: heldRate(lc) / Math.max(1, heldRate(ln)),
    });
  const ci = r.idle?.cobalt;
  const pi = r.idle?.nats;
  if (ci && pi) {
    ratios.push({
      measure: 'idle RSS per socket',
      cobalt: `${fmt(ci.rssPerSocketBytes / KB)} KB`,
      peer: `${fmt(pi.rssPerSocketBytes / KB)} KB`,
      ratio: ci.rssPerSocketBytes / pi.rssPerSocketBytes,
    });
    ratios.push({ measure: 'connect rate', cobalt: `${fmtInt(ci.connectPerSec)}/s`, peer: `${fmtInt(pi.connectPerSec)}/s`, ratio: ci.connectPerSec / pi.connectPerSec });
    if (ci.restart?.allReconnectedMs && pi.restart?.allReconnectedMs)
      ratios.push({
        measure: 'all reconnected after restart',
        cobalt: `${fmt(ci.restart.allReconnectedMs / 1000)} s`,
        peer: `${fmt(pi.restart.allReconnectedMs / 1000)} s`,
        ratio: ci.restart.allReconnectedMs / pi.restart.allReconnectedMs,
      });
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
