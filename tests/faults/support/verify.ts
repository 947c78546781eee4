import type { Todo } from '@cobalt/contract';
import { MongoClient } from 'mongodb';
import type { Ledger, WriteRecord } from './ledger.js';
import type { SocketSimClient } from './sim-client.js';
import { sleep } from './sim-client.js';

/** A stored todo as read straight from the database (tombstones included). */
export interface StoredTodo {
  id: string;
  userId: string;
  title: string;
  completed: boolean;
  version: number;
  deleted: boolean;
}

export interface ServerState {
  todos: Map<string, StoredTodo[]>;
  /** Per user, the seqs present in the change log. */
  seqs: Map<string, number[]>;
  /** Change-log entries per todo id (kinds in seq order). */
  logByTodo: Map<string, string[]>;
  /** For the write keys asked about: `logged at <seq>` when the change log holds the key. */
  keyStates: Map<string, string>;
}

/**
 * Reads every todo and change-log entry of `userIds` from MongoDB itself, not through the API, and
 * whether the change log holds the writes in `keys`.
 */
export async function readServerState(mongoUrl: string, userIds: string[], keys: { userId: string; key: string }[] = []): Promise<ServerState> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    const db = client.db();
    // The change log's entries (they have a `kind`) and the markers of expired tombstones share the collection with the todos.
    const all = await db
      .collection('todos')
      .find({ userId: { $in: userIds } })
      .toArray();
    const docs = all.filter((d) => d.marker !== true && d.kind === undefined);
    const entries = all.filter((d) => d.kind !== undefined).sort((a, b) => a.seq - b.seq);
    const todos = new Map<string, StoredTodo[]>(userIds.map((id) => [id, []]));
    for (const d of docs) {
      todos.get(d.userId)!.push({ id: d._id.toHexString(), userId: d.userId, title: d.title, completed: d.completed, version: d.version, deleted: d.deletedAt != null });
    }
    const seqs = new Map<string, number[]>(userIds.map((id) => [id, []]));
    const logByTodo = new Map<string, string[]>();
    for (const e of entries) {
      seqs.get(e.userId)!.push(e.seq);
      logByTodo.set(e.todoId, [...(logByTodo.get(e.todoId) ?? []), e.kind]);
    }
    const wanted = new Set(keys.map((k) => `${k.userId}:${k.key}`));
    const keyStates = new Map(entries.filter((e) => wanted.has(`${e.userId}:${e.key}`)).map((e) => [e.key as string, `logged at ${e.seq}`]));
    return { todos, seqs, logByTodo, keyStates };
  } finally {
    await client.close();
  }
}

export interface WriteCheck {
  /** Acknowledged writes whose effect is not in the database. */
  lost: { key: string; op: string; via: string; why: string }[];
  /** Todos beyond the first made from one create key (a create applied twice). */
  duplicateCreates: { key: string; ids: string[] }[];
  /** Todos whose create was never acknowledged (a write applied although its client gave up). */
  appliedUnacknowledged: number;
  /**
   * Todos whose writes were all acknowledged, yet whose version is above what those writes make
   * (1 + one per update + one for a delete): a write applied more than once.
   */
  appliedTwice: { todoKey: string; id: string; version: number; expected: number }[];
  /** Seqs missing inside a user's change log. */
  logGaps: number;
}

const createKeyOf = (title: string) => title.split(' ')[0]!;

/**
 * Compares every acknowledged write with the stored state. Each client changes only its own
 * todos, one write at a time, so a todo's final state is that of its last write when that write
 * was acknowledged; and every acknowledged write must at least be reflected in the version.
 */
export function checkWrites(ledger: Ledger, state: ServerState): WriteCheck {
  const byId = new Map<string, StoredTodo>();
  const byCreateKey = new Map<string, StoredTodo[]>();
  for (const list of state.todos.values()) {
    for (const todo of list) {
      byId.set(todo.id, todo);
      const key = createKeyOf(todo.title);
      byCreateKey.set(key, [...(byCreateKey.get(key) ?? []), todo]);
    }
  }
  const writesByTodo = new Map<string, WriteRecord[]>();
  for (const w of ledger.writes) writesByTodo.set(w.todoKey, [...(writesByTodo.get(w.todoKey) ?? []), w]);

  const lost: WriteCheck['lost'] = [];
  const miss = (w: WriteRecord, why: string) => lost.push({ key: w.key, op: w.op, via: w.via, why });
  for (const writes of writesByTodo.values()) {
    const last = writes.at(-1)!;
    for (const w of writes) {
      if (w.outcome !== 'acked') continue;
      const id = w.op === 'create' ? w.acked?.id : w.todoId;
      const stored = id ? byId.get(id) : undefined;
      if (!stored) {
        miss(w, 'todo not in the database');
        continue;
      }
      if (w.op === 'delete' && !stored.deleted) miss(w, 'acknowledged delete, todo still alive');
      if (w.acked && stored.version < w.acked.version) miss(w, `stored version ${stored.version} < acknowledged ${w.acked.version}`);
      if (w !== last || w.op === 'delete') continue;
      // The last write of its todo and acknowledged: the stored todo must be exactly what it asked for.
      if (stored.deleted) miss(w, 'todo deleted, its last write was not a delete');
      else if (w.acked && (stored.title !== w.acked.title || stored.completed !== w.acked.completed || stored.version !== w.acked.version)) {
        miss(
          w,
          `stored ${JSON.stringify([stored.title, stored.completed, stored.version])} != acknowledged ${JSON.stringify([w.acked.title, w.acked.completed, w.acked.version])}`,
        );
      }
    }
  }

  // Each acknowledged update or delete moves the version by exactly one. Only todos whose every
  // write was answered can be counted: an unanswered one may or may not have been applied.
  const appliedTwice: WriteCheck['appliedTwice'] = [];
  for (const [todoKey, writes] of writesByTodo) {
    const create = writes.find((w) => w.op === 'create');
    const stored = create?.acked ? byId.get(create.acked.id) : undefined;
    if (!stored || writes.some((w) => w.outcome !== 'acked')) continue;
    const expected = 1 + writes.filter((w) => w.op !== 'create').length;
    if (stored.version > expected) appliedTwice.push({ todoKey, id: stored.id, version: stored.version, expected });
  }

  const duplicateCreates = [...byCreateKey].filter(([, todos]) => todos.length > 1).map(([key, todos]) => ({ key, ids: todos.map((t) => t.id) }));
  const ackedCreates = new Set(ledger.writes.filter((w) => w.op === 'create' && w.outcome === 'acked').map((w) => w.key));
  const appliedUnacknowledged = [...byCreateKey.keys()].filter((key) => !ackedCreates.has(key)).length;

  let logGaps = 0;
  for (const seqs of state.seqs.values()) {
    if (!seqs.length) continue;
    const sorted = [...seqs].sort((a, b) => a - b);
    logGaps += sorted.at(-1)! - sorted[0]! + 1 - new Set(sorted).size;
  }
  return { lost, duplicateCreates, appliedUnacknowledged, appliedTwice, logGaps };
}

export interface Convergence {
  converged: number;
  total: number;
  /** From the end of the load until the last replica matched. */
  ms: number;
  diverged: { clientId: string; missing: number; extra: number; stale: number; examples: string[] }[];
}

function compareReplica(replica: Todo[], stored: StoredTodo[], state: ServerState) {
  const all = new Map(stored.map((t) => [t.id, t]));
  const alive = new Map(stored.filter((t) => !t.deleted).map((t) => [t.id, t]));
  const local = new Map(replica.map((t) => [t.id, t]));
  const examples: string[] = [];
  // What the database holds next to what the replica holds, and what the change log says of that todo.
  const describe = (id: string, what: string) => {
    const db = all.get(id);
    const mine = local.get(id);
    const show = (t?: { title: string; completed: boolean; version: number }) => (t ? `"${t.title}" ${t.completed ? 'done' : 'open'} v${t.version}` : 'none');
    examples.push(`${what} ${id}: database ${show(db)}${db?.deleted ? ' (deleted)' : ''}, replica ${show(mine)}, change log [${(state.logByTodo.get(id) ?? []).join(', ')}]`);
  };
  let missing = 0;
  let stale = 0;
  for (const [id, t] of alive) {
    const mine = local.get(id);
    if (!mine) {
      missing++;
      describe(id, 'missing');
    } else if (mine.title !== t.title || mine.completed !== t.completed || mine.version !== t.version) {
      stale++;
      describe(id, 'stale');
    }
  }
  const extraIds = [...local.keys()].filter((id) => !alive.has(id));
  for (const id of extraIds) describe(id, 'extra');
  return { missing, extra: extraIds.length, stale, examples };
}

/** Waits (up to `timeoutMs`) until every socket client's replica equals its user's stored todos. */
export async function awaitConvergence(sockets: SocketSimClient[], state: ServerState, timeoutMs: number): Promise<Convergence> {
  const started = Date.now();
  for (;;) {
    const diverged = sockets
      .map((s) => ({ clientId: s.id, ...compareReplica(s.todos(), state.todos.get(s.userId) ?? [], state) }))
      .filter((d) => d.missing + d.extra + d.stale > 0);
    if (!diverged.length || Date.now() - started > timeoutMs) {
      return { converged: sockets.length - diverged.length, total: sockets.length, ms: Date.now() - started, diverged };
    }
    await sleep(250);
  }
}
