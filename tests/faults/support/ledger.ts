import type { Todo } from '@cobalt/contract';

export type WriteOp = 'create' | 'update' | 'delete';
export type Channel = 'socket' | 'rest' | 'graphql';

/** One attempt of a write that did not get its answer: what came back instead, and how fast. */
export interface FailedAttempt {
  via: Channel;
  at: number;
  ms: number;
  /** HTTP status (0 for a network error or a socket), or the error code / reason. */
  status: number;
  code: string;
}

/**
 * One logical write, as the client sees it: sent once, retried with the same key until it is
 * acknowledged (or the run gives up on it).
 */
export interface WriteRecord {
  key: string;
  clientId: string;
  userId: string;
  op: WriteOp;
  via: Channel;
  /** The key of the create that made the todo this write is about (the todo's title starts with it). */
  todoKey: string;
  todoId?: string;
  /** What the write asks for (create/update), compared with the stored todo. */
  intent: { title?: string; completed?: boolean };
  startedAt: number;
  attempts: number;
  failures: FailedAttempt[];
  outcome: 'pending' | 'acked' | 'rejected' | 'unresolved';
  ackedAt?: number;
  /** The todo in the acknowledgement (create/update). */
  acked?: Todo;
  /** Why it was rejected or left unresolved: the last answer. */
  lastError?: string;
}

/** A read (list) request: only counted, never retried. */
export interface ReadRecord {
  at: number;
  ms: number;
  ok: boolean;
  status: number;
  code: string;
}

/** Every write and read of a run, for the figures and the loss/duplicate checks. */
export class Ledger {
  readonly writes: WriteRecord[] = [];
  readonly reads: ReadRecord[] = [];

  begin(record: Omit<WriteRecord, 'attempts' | 'failures' | 'outcome' | 'startedAt'>): WriteRecord {
    const full: WriteRecord = { ...record, startedAt: Date.now(), attempts: 0, failures: [], outcome: 'pending' };
    this.writes.push(full);
    return full;
  }

  /** Writes acknowledged in [from, to). */
  ackedBetween(from: number, to: number, via?: Channel): number {
    return this.writes.filter((w) => w.ackedAt !== undefined && w.ackedAt >= from && w.ackedAt < to && (!via || w.via === via)).length;
  }

  /** Failed attempts that started in [from, to). */
  failuresBetween(from: number, to: number): FailedAttempt[] {
    return this.writes.flatMap((w) => w.failures).filter((f) => f.at >= from && f.at < to);
  }
}
