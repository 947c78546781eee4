import type { SyncResult, Todo, TodoChange } from '@cobalt/contract';
import { describe, expect, it } from 'vitest';
import { TodoChangeFeed, type TodoChangeEvent } from '../../src/components/todos/entry-points/todo-change-feed.js';

const todo = (id: string, version = 1): Todo => ({ id, title: id, completed: false, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', version });
const created = (seq: number, id = `t${seq}`): TodoChange => ({ type: 'todo:created', todo: todo(id), seq });
const updated = (seq: number, id: string, version: number): TodoChange => ({ type: 'todo:updated', todo: todo(id, version), seq });

/** A feed whose catch-up answers only when the test says so. */
function harness() {
  const sent: TodoChangeEvent[] = [];
  const failures: unknown[] = [];
  const answers: ((result: SyncResult) => void)[] = [];
  const asked: number[] = [];
  const feed = new TodoChangeFeed(
    { send: (event) => sent.push(event), fail: (error) => failures.push(error) },
    { sync: (since) => (asked.push(since), new Promise<SyncResult>((resolve) => answers.push(resolve))) },
  );
  const answer = async (result: SyncResult) => {
    while (!answers.length) await new Promise((r) => setTimeout(r, 1));
    answers.shift()!(result);
    await new Promise((r) => setTimeout(r, 1));
  };
  return { feed, sent, failures, asked, answer, seqs: () => sent.map((e) => e.seq) };
}

describe('TodoChangeFeed', () => {
  it('when live changes land while the catch-up runs, then each seq goes out once, the catch-up first, with nothing between them lost', async () => {
    const { feed, answer, seqs, asked } = harness();
    feed.start(3);
    feed.live(created(5)); // covered by the catch-up below
    feed.live(created(7)); // after it
    feed.live(created(6)); // out of order, after it
    await answer({ seq: 5, changes: [created(4), created(5)] });
    expect(asked).toEqual([3]);
    expect(seqs()).toEqual([4, 5, 7, 6]);
    feed.live(created(7)); // announced again
    feed.live(created(5));
    feed.live(created(8));
    expect(seqs()).toEqual([4, 5, 7, 6, 8]);
  });

  it('when a todo changed several times before the catch-up, then only the live changes after its answer follow it', async () => {
    const { feed, answer, sent } = harness();
    feed.start(0);
    feed.live(updated(2, 'a', 2)); // older than the catch-up's state: dropped
    await answer({ seq: 3, changes: [updated(3, 'a', 3)] });
    feed.live(updated(4, 'a', 4));
    expect(sent.map((e) => [e.type, e.seq])).toEqual([
      ['UPDATED', 3],
      ['UPDATED', 4],
    ]);
  });

  it('when the catch-up is a reset, then one RESET goes out and live changes follow from its seq', async () => {
    const { feed, answer, sent } = harness();
    feed.start(99);
    feed.live(created(4));
    feed.live(created(5));
    await answer({ seq: 4, reset: true, todos: [todo('a')] });
    expect(sent).toEqual([{ type: 'RESET', seq: 4, todos: [todo('a')] }, expect.objectContaining({ type: 'CREATED', seq: 5 })]);
  });

  it('when no since is given, then live changes go out at once with no store read, each seq once', () => {
    const { feed, seqs, asked } = harness();
    feed.start(undefined);
    feed.live(created(10));
    feed.live(created(10));
    feed.live(created(12));
    expect(seqs()).toEqual([10, 12]);
    expect(asked).toEqual([]);
  });

  it('when announcements may have been lost, then it catches up from what it sent without repeating it', async () => {
    const { feed, answer, seqs, asked } = harness();
    feed.start(0);
    await answer({ seq: 2, changes: [created(1), created(2)] });
    feed.resume();
    feed.live(created(5));
    await answer({ seq: 4, changes: [created(3), created(4)] });
    expect(asked).toEqual([0, 2]);
    expect(seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('when a live-only feed that has sent nothing must catch up, then it gets the full state', async () => {
    const { feed, answer, sent, asked } = harness();
    feed.start(undefined);
    feed.resume();
    await answer({ seq: 8, reset: true, todos: [] });
    expect(asked).toEqual([Number.MAX_SAFE_INTEGER]);
    expect(sent).toEqual([{ type: 'RESET', seq: 8, todos: [] }]);
  });

  it('when the catch-up fails, then the feed reports it and sends nothing more', async () => {
    const sent: TodoChangeEvent[] = [];
    const failures: unknown[] = [];
    const feed = new TodoChangeFeed({ send: (e) => sent.push(e), fail: (e) => failures.push(e) }, { sync: () => Promise.reject(new Error('store down')) });
    feed.start(0);
    feed.live(created(1));
    await new Promise((r) => setTimeout(r, 5));
    expect(failures).toHaveLength(1);
    expect(sent).toEqual([]);
  });
});
