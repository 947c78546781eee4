/**
 * A value that changes and a way to hear when it does. `get` + `subscribe` is the shape React's
 * `useSyncExternalStore`, Svelte stores and plain callbacks all take, so no state library is needed.
 */
export interface Observable<T> {
  get(): T;
  /** Calls `listener` after every change; returns the unsubscribe. */
  subscribe(listener: (value: T) => void): () => void;
}

export class Value<T> implements Observable<T> {
  private readonly listeners = new Set<(value: T) => void>();
  constructor(private value: T) {}

  get = (): T => this.value;

  subscribe = (listener: (value: T) => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  set(next: T): void {
    if (Object.is(next, this.value)) return;
    this.value = next;
    for (const listener of [...this.listeners]) listener(next);
  }
}

/**
 * A value computed from others when it is needed: `invalidate` says its inputs changed; it is
 * computed again at the next `get`, or at once while someone listens (and then told).
 */
export class DerivedValue<T> implements Observable<T> {
  private readonly listeners = new Set<(value: T) => void>();
  private value: T | undefined;
  private stale = true;
  constructor(private readonly compute: () => T) {}

  get = (): T => {
    if (this.stale) {
      this.value = this.compute();
      this.stale = false;
    }
    return this.value as T;
  };

  subscribe = (listener: (value: T) => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  invalidate(): void {
    this.stale = true;
    if (this.listeners.size === 0) return;
    const next = this.get();
    for (const listener of [...this.listeners]) listener(next);
  }
}

/** Typed events: `Events` maps each name to its payload. */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      // One listener's failure must not keep the news from the others, nor break the SDK's own flow.
      try {
        (listener as (payload: Events[E]) => void)(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
