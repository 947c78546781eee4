import { useSyncExternalStore } from 'react';

/**
 * A value that can change, and a way to hear when it does. React's `useSyncExternalStore` does
 * the hard part; this is the few lines around it, so no state library is needed.
 */
export interface ReadableStore<T> {
  // Properties, not methods: useSyncExternalStore calls them detached from the store.
  getSnapshot: () => T;
  subscribe: (listener: () => void) => () => void;
}

export interface WritableStore<T> extends ReadableStore<T> {
  set(next: T | ((previous: T) => T)): void;
}

export function createStore<T>(initial: T): WritableStore<T> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getSnapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      const value = typeof next === 'function' ? (next as (previous: T) => T)(state) : next;
      if (Object.is(value, state)) return;
      state = value;
      for (const listener of [...listeners]) listener();
    },
  };
}

export function useStore<T>(store: ReadableStore<T>): T {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/** An SDK observable (`get` + `subscribe`) as React state. */
export function useObservable<T>(observable: { get: () => T; subscribe: (listener: () => void) => () => void }): T {
  return useSyncExternalStore(observable.subscribe, observable.get, observable.get);
}
