import { CobaltError } from './errors.js';
import type { ClientStorage, MessageChannelPort } from './platform/ports.js';

/** A local change waiting for the server. `id` is its `clientMutationId`, made on this device. */
export type Mutation =
  | { id: string; kind: 'create'; todoId: string; title: string; at: string }
  | { id: string; kind: 'update'; todoId: string; patch: { title?: string; completed?: boolean }; at: string }
  | { id: string; kind: 'delete'; todoId: string; at: string };

export type MutationKind = Mutation['kind'];

interface StoredMutation {
  mutation: Mutation;
}

/** How many confirmed ids a client remembers, so a storage read that raced the removal cannot bring one back. */
const REMEMBERED_CONFIRMATIONS = 1_000;

/**
 * The durable queue of a user's local changes, in the order they were made. A change is written
 * to storage before `add` resolves (so before anyone shows it), and leaves it only when the server
 * has answered it. Clients of one device that share the storage (tabs) share the queue: each
 * entry has its own key, so their writes never overwrite each other, and they tell each other
 * over `channel` when it changed.
 */
export class Outbox {
  private entries: { key: string; mutation: Mutation }[] = [];
  private readonly confirmed = new Set<string>();
  private lastOrder = 0;
  private counter = 0;
  private readonly listeners = new Set<() => void>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly storage: ClientStorage,
    private readonly userId: string,
    private readonly channel: MessageChannelPort | null,
    private readonly now: () => number = Date.now,
  ) {}

  private get prefix(): string {
    return `outbox:${this.userId}:`;
  }

  /** Reads the queue from storage, and follows what other clients of the device do to it. */
  async open(): Promise<void> {
    await this.reload();
    this.unsubscribe ??= this.channel?.subscribe(() => void this.reload().catch(() => undefined)) ?? null;
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.channel?.close();
  }

  get pending(): readonly Mutation[] {
    return this.entries.map((entry) => entry.mutation);
  }

  get size(): number {
    return this.entries.length;
  }

  has(id: string): boolean {
    return this.entries.some((entry) => entry.mutation.id === id);
  }

  find(id: string): Mutation | undefined {
    return this.entries.find((entry) => entry.mutation.id === id)?.mutation;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps `mutation` in storage, then queues it. Rejects with `STORAGE` (and queues nothing) if it cannot be kept. */
  async add(mutation: Mutation): Promise<void> {
    const key = this.prefix + this.nextOrder();
    try {
      await this.storage.set(key, { mutation } satisfies StoredMutation);
    } catch (error) {
      throw new CobaltError('STORAGE', 'The change could not be kept on this device, so it was not made', { cause: error });
    }
    this.entries.push({ key, mutation });
    this.changed();
  }

  /** The server answered these (confirmed or refused them): they leave the queue, here and in storage, in one step. */
  async remove(...ids: string[]): Promise<void> {
    for (const id of ids) this.remember(id);
    const gone = this.entries.filter((e) => ids.includes(e.mutation.id));
    if (gone.length === 0) return;
    this.entries = this.entries.filter((e) => !gone.includes(e));
    this.changed(false);
    for (const entry of gone) await this.storage.delete(entry.key).catch(() => undefined);
    this.channel?.post({ type: 'outbox-changed' });
  }

  /**
   * Another client of the device saw `id` confirmed: hide it here at once. Its sender removes it
   * from storage; a reload that still finds it there ignores it.
   */
  forget(id: string): Mutation | undefined {
    const entry = this.entries.find((e) => e.mutation.id === id);
    this.remember(id);
    if (!entry) return undefined;
    this.entries = this.entries.filter((e) => e !== entry);
    this.changed(false);
    return entry.mutation;
  }

  /** Deletes the whole queue (the user signed out on purpose). */
  async clear(): Promise<void> {
    const stored = await this.storage.list<StoredMutation>(this.prefix);
    for (const [key] of stored) await this.storage.delete(key).catch(() => undefined);
    this.entries = [];
    this.changed();
  }

  async reload(): Promise<void> {
    const stored = await this.storage.list<StoredMutation>(this.prefix);
    this.entries = stored.filter(([, value]) => !this.confirmed.has(value.mutation.id)).map(([key, value]) => ({ key, mutation: value.mutation }));
    const last = this.entries.at(-1);
    if (last) this.lastOrder = Math.max(this.lastOrder, Number.parseInt(last.key.slice(this.prefix.length), 36) || 0);
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * Keys sort in the order changes were made: a millisecond time, never smaller than the last
   * one seen, then a counter and a random tail for changes of the same millisecond in other tabs.
   */
  private nextOrder(): string {
    this.lastOrder = Math.max(this.lastOrder, this.now());
    const tail = Math.floor(Math.random() * 36 ** 4)
      .toString(36)
      .padStart(4, '0');
    return `${this.lastOrder.toString(36).padStart(9, '0')}.${(this.counter++ % 36 ** 4).toString(36).padStart(4, '0')}${tail}`;
  }

  private remember(id: string): void {
    this.confirmed.add(id);
    if (this.confirmed.size > REMEMBERED_CONFIRMATIONS) this.confirmed.delete(this.confirmed.values().next().value as string);
  }

  private changed(tellOthers = true): void {
    if (tellOthers) this.channel?.post({ type: 'outbox-changed' });
    for (const listener of [...this.listeners]) listener();
  }
}
