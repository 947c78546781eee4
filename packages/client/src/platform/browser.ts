import { CobaltClient, type CobaltClientOptions } from '../client.js';
import type { ClientStorage, Coordinator, MessageChannelPort, NetworkMonitor } from './ports.js';
import { localCoordinator, memoryStorage } from './portable.js';

/** Wraps one IndexedDB request in a promise. */
const done = <T>(request: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });

/**
 * Storage in IndexedDB: one database, one object store of JSON values by key. Survives reloads and
 * browser restarts, and is shared by the tabs of one origin. (Written against the raw API: the
 * SDK needs four operations, and no IndexedDB wrapper is among the project's dependencies.)
 */
export function indexedDbStorage(databaseName = 'cobalt', factory: IDBFactory = indexedDB): ClientStorage {
  const STORE = 'kv';
  let opened: Promise<IDBDatabase> | null = null;
  const database = () => {
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(databaseName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading the schema asks us to let go.
        db.onversionchange = () => {
          db.close();
          opened = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        opened = null;
        reject(request.error ?? new Error('IndexedDB open failed'));
      };
    });
    return opened;
  };
  const store = async (mode: IDBTransactionMode) => (await database()).transaction(STORE, mode).objectStore(STORE);
  /** A write has happened when its transaction has committed, not when its request succeeded. */
  const write = async (action: (store: IDBObjectStore) => IDBRequest) => {
    const objectStore = await store('readwrite');
    const { transaction } = objectStore;
    await new Promise<void>((resolve, reject) => {
      action(objectStore);
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
  };
  return {
    get: async <T>(key: string) => (await done((await store('readonly')).get(key))) as T | undefined,
    set: (key, value) => write((s) => s.put(value, key)),
    delete: (key) => write((s) => s.delete(key)),
    list: async <T>(prefix: string) => {
      const objectStore = await store('readonly');
      const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
      const [keys, values] = await Promise.all([done(objectStore.getAllKeys(range)), done(objectStore.getAll(range))]);
      return keys.map((key, i): [string, T] => [key as string, values[i] as T]);
    },
  };
}

/**
 * Tabs of one browser cooperate through Web Locks (one refresh at a time, one tab sending the
 * outbox) and BroadcastChannel. Where Web Locks are missing (old browsers, insecure origins) each
 * tab coordinates only itself.
 */
export function browserCoordinator(): Coordinator {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  const local = localCoordinator();
  return {
    exclusive: <T>(name: string, task: () => Promise<T>) => (locks ? (locks.request(name, task) as Promise<T>) : local.exclusive(name, task)),
    lead(name, onLead) {
      if (!locks) return local.lead(name, onLead);
      const abort = new AbortController();
      let release: () => void = () => undefined;
      locks
        .request(name, { signal: abort.signal }, () => {
          onLead();
          return new Promise<void>((resolve) => (release = resolve));
        })
        .catch(() => undefined); // aborted before it was granted
      return () => {
        abort.abort();
        release();
      };
    },
    channel(name): MessageChannelPort {
      if (typeof BroadcastChannel === 'undefined') return local.channel(name);
      const channel = new BroadcastChannel(name);
      const listeners = new Set<(message: unknown) => void>();
      channel.onmessage = (event: MessageEvent) => {
        for (const listener of [...listeners]) listener(event.data);
      };
      return {
        post: (message) => channel.postMessage(message),
        subscribe: (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
        close: () => channel.close(),
      };
    },
  };
}

/** `navigator.onLine` and the window's `online` / `offline` events. */
export function browserNetwork(): NetworkMonitor {
  return {
    isOnline: () => typeof navigator === 'undefined' || navigator.onLine !== false,
    subscribe(listener) {
      if (typeof window === 'undefined') return () => undefined;
      const online = () => listener(true);
      const offline = () => listener(false);
      window.addEventListener('online', online);
      window.addEventListener('offline', offline);
      return () => {
        window.removeEventListener('online', online);
        window.removeEventListener('offline', offline);
      };
    },
  };
}

/**
 * A client for a web page: IndexedDB storage, tabs cooperating, the browser's network state, and
 * the refresh token in the server's HttpOnly cookie (never readable by script).
 */
export function createBrowserClient(options: Partial<CobaltClientOptions> = {}): CobaltClient {
  const storage = typeof indexedDB !== 'undefined' ? indexedDbStorage() : memoryStorage();
  return new CobaltClient({
    baseUrl: '',
    credentials: 'cookie',
    storage,
    coordinator: browserCoordinator(),
    network: browserNetwork(),
    ...options,
  });
}
