// Profiles of a running backend through its inspector (the backends of a profiling run start
// with NODE_OPTIONS=--inspect=127.0.0.1:0): CPU profiles of a chosen window and heap snapshots,
// each boiled down to what dominates.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

/** The inspector URL the backend printed last in its log (a restarted backend prints a new one). */
export function inspectorUrl(logFile) {
  const matches = [...readFileSync(logFile, 'utf8').matchAll(/Debugger listening on (ws:\/\/\S+)/g)];
  if (!matches.length) throw new Error(`no inspector URL in ${logFile}`);
  return /** @type {string} */ (matches[matches.length - 1]?.[1]);
}

/**
 * An inspector session on one of the cluster's services (a backend, started with `--inspect`;
 * see BENCH_INSPECTOR_ENV), found from the URL its log printed last.
 */
export function inspectService(cluster, name) {
  const service = cluster.services().find((s) => s.name === name);
  if (!service) throw new Error(`no service ${name} in the cluster`);
  return connectInspector(inspectorUrl(service.logFile));
}

/** A minimal Chrome DevTools Protocol client: `send(method, params)`, events by name. */
export async function connectInspector(url) {
  const ws = new WebSocket(url, { maxPayload: 2 ** 30 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map();
  const listeners = new Map();
  ws.on('message', (data) => {
    const frame = /** @type {Buffer} */ (data); // ws hands text frames over as one Buffer
    const msg = JSON.parse(frame.toString());
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p?.resolve(msg.result);
    } else for (const fn of listeners.get(msg.method) ?? []) fn(msg.params);
  });
  return {
    send(method, params = {}) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject, method });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    /** Returns a function that removes the listener. */
    on(method, fn) {
      if (!listeners.has(method)) listeners.set(method, []);
      listeners.get(method).push(fn);
      return () =>
        listeners.set(
          method,
          listeners.get(method).filter((f) => f !== fn),
        );
    },
    close: () => ws.close(),
  };
}

export async function startCpuProfile(inspector) {
  await inspector.send('Profiler.enable');
  await inspector.send('Profiler.setSamplingInterval', { interval: 500 });
  await inspector.send('Profiler.start');
  return async () => (await inspector.send('Profiler.stop')).profile;
}

export async function heapSnapshot(inspector) {
  const chunks = [];
  const off = inspector.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
  try {
    await inspector.send('HeapProfiler.enable');
    await inspector.send('HeapProfiler.collectGarbage');
    await inspector.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    off();
  }
  return chunks.join('');
}

/** Who a frame belongs to: an npm package, Node itself, Cobalt's code, or V8 (GC, program). */
function categoryOf({ url, functionName }) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const [a, b] = url.slice(nm + 14).split('/');
    return a.startsWith('@') ? `${a}/${b}` : a;
  }
  if (url.startsWith('node:')) return 'node (core)';
  if (url.includes('/backend/')) return 'cobalt backend';
  if (url.includes('/packages/contract/')) return '@cobalt/contract';
  return url;
}

const shortUrl = (url) => (url.includes('/node_modules/') ? url.slice(url.lastIndexOf('/node_modules/') + 14) : url.replace(/^file:\/\/.*\/(backend|packages)\//, '$1/'));

/**
 * Self time by package and by function, over the profile's samples; idle time left out of the
 * shares. Time in a native function (no script URL: socket writes, hashing, ...) is charged to
 * the package whose JavaScript called it, and the function is shown as `native <- caller`.
 */
export function summarizeCpuProfile(profile, { top = 15 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const caller = (id) => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const frame = byId.get(p).callFrame;
      if (frame.url && !frame.url.startsWith('node:')) return frame;
    }
    return null;
  };
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const cats = new Map();
  const fns = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    total += us;
    if (callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const native = !callFrame.url && !callFrame.functionName.startsWith('(');
    const from = native ? caller(id) : null;
    const cat = from ? categoryOf(from) : categoryOf(callFrame);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const name = callFrame.functionName || '(anonymous)';
    const fn = native ? `${name} (native) <- ${from ? categoryOf(from) : '?'}` : `${name} ${callFrame.url ? `${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}` : ''}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: Number(((100 * us) / busy).toFixed(1)) }));
  return {
    wallMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    busyPercent: Number(((100 * busy) / total).toFixed(1)),
    byPackage: rank(cats),
    topFunctions: rank(fns),
  };
}

/** One summary over several profiles of the same window (e.g. the three backends). */
export function summarizeCpuProfiles(profiles, opts) {
  /** @type {{ nodes: any[], samples: number[], timeDeltas: number[] }} */
  const merged = { nodes: [], samples: [], timeDeltas: [] };
  let offset = 0;
  for (const p of profiles) {
    const maxId = Math.max(...p.nodes.map((n) => n.id));
    merged.nodes.push(...p.nodes.map((n) => ({ ...n, id: n.id + offset, children: n.children?.map((c) => c + offset) })));
    merged.samples.push(...p.samples.map((s) => s + offset));
    merged.timeDeltas.push(...p.timeDeltas);
    offset += maxId + 1;
  }
  return summarizeCpuProfile(merged, opts);
}

/** Self size and count of each object kind (constructor name for objects) in a heap snapshot. */
export function heapByKind(snapshotText) {
  const snap = JSON.parse(snapshotText);
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const size = snap.nodes[i + iSize];
    total += size;
    // Strings and code are grouped by type (their "names" are their contents).
    const name = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' ? `${type}:${snap.strings[snap.nodes[i + iName]]}` : `(${type})`;
    const e = out.get(name) ?? { count: 0, size: 0 };
    e.count++;
    e.size += size;
    out.set(name, e);
  }
  return { total, kinds: out };
}

/** What grew between two snapshots, per unit (per socket), biggest first. */
export function heapGrowth(before, after, units, { top = 20 } = {}) {
  const rows = [];
  for (const [name, a] of after.kinds) {
    const b = before.kinds.get(name) ?? { count: 0, size: 0 };
    const dSize = a.size - b.size;
    if (dSize <= 0) continue;
    rows.push({ name, bytesPerUnit: Math.round(dSize / units), countPerUnit: Number(((a.count - b.count) / units).toFixed(2)) });
  }
  rows.sort((x, y) => y.bytesPerUnit - x.bytesPerUnit);
  return { totalPerUnit: Math.round((after.total - before.total) / units), top: rows.slice(0, top) };
}
