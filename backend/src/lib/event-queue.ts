/**
 * An async iterator fed by `push`, for GraphQL subscriptions. Hand-written because `return()` must
 * end it at once (an async generator's `return()` waits until its pending `await` settles, which
 * for a quiet subscription is the next event) and events pushed before anyone reads are kept.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly values: T[] = [];
  private readonly readers: ((result: IteratorResult<T>) => void)[] = [];
  private closed = false;

  constructor(private readonly onClose: () => void = () => undefined) {}

  push(value: T): void {
    if (this.closed) return;
    const reader = this.readers.shift();
    if (reader) reader({ value, done: false });
    else this.values.push(value);
  }

  /** Ends the stream once what was pushed has been read. */
  end(): void {
    this.push(END as T);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.values.length) {
      const value = this.values.shift() as T;
      if (value === END) {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.readers.push((result) => (result.value === END ? (this.close(), resolve({ value: undefined, done: true })) : resolve(result))));
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.values.length = 0;
    for (const reader of this.readers.splice(0)) reader({ value: undefined, done: true });
    this.onClose();
  }
}

const END = Symbol('end');
