/**
 * What the SDK needs from the platform it runs on, as small interfaces. The core never touches a
 * browser, Node or React Native API directly: each platform entry (`@cobalt/client/browser`,
 * `@cobalt/client/node`) or the app (React Native) hands in implementations of these.
 */

/**
 * Durable key-value storage. Values are plain JSON data. A write has happened when its promise
 * resolves: the outbox relies on that to keep a change before it shows it.
 */
export interface ClientStorage {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every entry whose key starts with `prefix`, in ascending key order. */
  list<T>(prefix: string): Promise<[key: string, value: T][]>;
}

/**
 * Cooperation between the clients of one device that share a storage (the tabs of a browser, the
 * processes of one user's terminal). The default, `localCoordinator()`, covers one process.
 */
export interface Coordinator {
  /** Runs `task` while no other holder of `name` on this device runs one (a refresh, for instance). */
  exclusive<T>(name: string, task: () => Promise<T>): Promise<T>;
  /**
   * Asks to be the one leader for `name` on this device. `onLead` is called once, when this
   * client becomes it; the returned function gives the role up (or stops asking).
   */
  lead(name: string, onLead: () => void): () => void;
  /** Messages to the other clients of this device on `name` (never back to the sender). */
  channel(name: string): MessageChannelPort;
}

export interface MessageChannelPort {
  post(message: unknown): void;
  subscribe(listener: (message: unknown) => void): () => void;
  close(): void;
}

/** Whether the device has a network at all. Browsers and React Native know; Node assumes it does. */
export interface NetworkMonitor {
  isOnline(): boolean;
  subscribe(listener: (online: boolean) => void): () => void;
}

export const alwaysOnline: NetworkMonitor = { isOnline: () => true, subscribe: () => () => undefined };

/**
 * Any asynchronous string store (React Native's AsyncStorage, MMKV wrapped in promises,
 * localForage, ...), to be turned into a `ClientStorage` by `keyValueStorage`.
 */
export interface AsyncKeyValueStore {
  getItem(key: string): Promise<string | null | undefined>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
  getAllKeys(): Promise<readonly string[]>;
}
