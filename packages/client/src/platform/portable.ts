import type { AsyncKeyValueStore, ClientStorage, Coordinator, MessageChannelPort } from './ports.js';

const byKey = <T>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * Storage in memory: nothing survives the process. For tests (give two clients the same one to
 * play a restart or a second tab) and for clients that do not need to work offline.
 */
export function memoryStorage(): ClientStorage {
  const data = new Map<string, string>();
  return {
    get: async <T>(key: string) => {
      const raw = data.get(key);
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    set: async (key, value) => {
      data.set(key, JSON.stringify(value));
    },
    delete: async (key) => {
      data.delete(key);
    },
    list: async <T>(prefix: string) =>
      [...data.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, raw]): [string, T] => [key, JSON.parse(raw) as T])
        .sort(byKey),
  };
}

/**
 * A `ClientStorage` over any asynchronous string store, e.g. React Native's AsyncStorage:
 * `keyValueStorage(AsyncStorage)`. Keys are prefixed with `namespace` so the SDK's own stay apart.
 */
export function keyValueStorage(store: AsyncKeyValueStore, namespace = 'cobalt:'): ClientStorage {
  return {
    get: async <T>(key: string) => {
      const raw = await store.getItem(namespace + key);
      return raw === null || raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    set: (key, value) => store.setItem(namespace + key, JSON.stringify(value)),
    delete: (key) => store.removeItem(namespace + key),
    list: async <T>(prefix: string) => {
      const keys = (await store.getAllKeys()).filter((key) => key.startsWith(namespace + prefix)).sort();
      const entries: [string, T][] = [];
      for (const key of keys) {
        const raw = await store.getItem(key);
        if (raw !== null && raw !== undefined) entries.push([key.slice(namespace.length), JSON.parse(raw) as T]);
      }
      return entries;
    },
  };
}

/**
 * Cooperation within one process: a mutex per name, leadership handed on in request order, and
 * in-process channels. Clients given the same instance behave like tabs of one browser.
 */
export function localCoordinator(): Coordinator {
  const tails = new Map<string, Promise<unknown>>();
  const candidates = new Map<string, { onLead: () => void; leading: boolean }[]>();
  const channels = new Map<string, Set<(message: unknown) => void>>();

  const promote = (name: string) => {
    const first = candidates.get(name)?.[0];
    if (first && !first.leading) {
      first.leading = true;
      first.onLead();
    }
  };

  return {
    exclusive<T>(name: string, task: () => Promise<T>): Promise<T> {
      const run = (tails.get(name) ?? Promise.resolve()).then(task, task);
      const tail = run.catch(() => undefined);
      tails.set(name, tail);
      void tail.then(() => {
        if (tails.get(name) === tail) tails.delete(name);
      });
      return run;
    },
    lead(name, onLead) {
      const entry = { onLead, leading: false };
      const queue = candidates.get(name) ?? [];
      candidates.set(name, queue);
      queue.push(entry);
      promote(name);
      return () => {
        const at = queue.indexOf(entry);
        if (at < 0) return;
        queue.splice(at, 1);
        promote(name);
      };
    },
    channel(name): MessageChannelPort {
      const members = channels.get(name) ?? new Set();
      channels.set(name, members);
      const mine = new Set<(message: unknown) => void>();
      return {
        post: (message) => {
          const copy = JSON.stringify(message);
          for (const listener of members) if (!mine.has(listener)) queueMicrotask(() => listener(JSON.parse(copy)));
        },
        subscribe: (listener) => {
          mine.add(listener);
          members.add(listener);
          return () => {
            mine.delete(listener);
            members.delete(listener);
          };
        },
        close: () => {
          for (const listener of mine) members.delete(listener);
          mine.clear();
        },
      };
    },
  };
}
