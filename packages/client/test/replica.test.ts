import type { Todo } from '@cobalt/contract';
import { describe, expect, it } from 'vitest';
import { TodoReplica } from '../src/replica.js';

const todo = (id: string, version: number, title = `todo ${id} v${version}`): Todo => ({
  id: id.padStart(24, '0'),
  title,
  completed: false,
  createdAt: `2026-01-01T00:00:0${id}.000Z`,
  updatedAt: `2026-01-01T00:00:0${id}.000Z`,
  version,
});
const titles = (replica: TodoReplica) => replica.list().map((t) => t.title);

describe('TodoReplica', () => {
  it('when versions arrive out of order, then the newest version wins', () => {
    const replica = new TodoReplica();
    replica.receive({ type: 'todo:created', todo: todo('1', 1), seq: 1 });
    replica.receive({ type: 'todo:updated', todo: todo('1', 3), seq: 3 });
    replica.receive({ type: 'todo:updated', todo: todo('1', 2), seq: 2 });
    expect(titles(replica)).toEqual(['todo 1 v3']);
    expect(replica.lastSeq).toBe(3);
  });

  it('when a todo was deleted, then a late update or a duplicate creation cannot bring it back', () => {
    const replica = new TodoReplica();
    replica.receive({ type: 'todo:created', todo: todo('1', 1), seq: 1 });
    replica.receive({ type: 'todo:deleted', id: todo('1', 1).id, seq: 3 });
    replica.receive({ type: 'todo:updated', todo: todo('1', 2), seq: 2 });
    replica.applyTodo(todo('1', 1));
    expect(titles(replica)).toEqual([]);
  });

  it('when events come in while a sync is pending, then they are applied after its answer', () => {
    const replica = new TodoReplica();
    expect(replica.beginSync()).toBe(0);
    replica.receive({ type: 'todo:updated', todo: todo('1', 2), seq: 5 });
    expect(titles(replica)).toEqual([]);
    replica.completeSync({ seq: 4, changes: [{ type: 'todo:created', todo: todo('1', 1), seq: 4 }] });
    expect(titles(replica)).toEqual(['todo 1 v2']);
    expect(replica.lastSeq).toBe(5);
  });

  it('when an event is overtaken and then lost, then lastSeq stays below it so the next sync asks again', () => {
    const replica = new TodoReplica();
    replica.completeSync({ seq: 3, changes: [] });
    replica.receive({ type: 'todo:created', todo: todo('2', 1), seq: 5 }); // 4 is still on its way
    expect(replica.lastSeq).toBe(3);
    expect(replica.beginSync()).toBe(3);
    replica.completeSync({
      seq: 5,
      changes: [
        { type: 'todo:created', todo: todo('1', 1), seq: 4 },
        { type: 'todo:created', todo: todo('2', 1), seq: 5 },
      ],
    });
    expect(titles(replica)).toEqual(['todo 1 v1', 'todo 2 v1']);
    expect(replica.lastSeq).toBe(5);
  });

  it('when the sync answer is a reset, then the state is replaced and lastSeq follows the server, even downwards', () => {
    const replica = new TodoReplica();
    replica.completeSync({ seq: 50, changes: [{ type: 'todo:created', todo: todo('1', 1), seq: 50 }] });
    replica.beginSync();
    replica.completeSync({ seq: 7, reset: true, todos: [todo('2', 4)] });
    expect(titles(replica)).toEqual(['todo 2 v4']);
    expect(replica.lastSeq).toBe(7);
  });

  it('when a sync change deletes an id never seen, then it is ignored', () => {
    const replica = new TodoReplica();
    replica.beginSync();
    replica.completeSync({ seq: 2, changes: [{ type: 'todo:deleted', id: todo('9', 1).id, seq: 2 }] });
    expect(titles(replica)).toEqual([]);
    expect(replica.lastSeq).toBe(2);
  });

  it('when the first page load lands after the first sync, then it is ignored as older news', () => {
    const replica = new TodoReplica();
    replica.completeSync({ seq: 2, changes: [{ type: 'todo:created', todo: todo('1', 1), seq: 1 }] });
    replica.seed([todo('1', 1), todo('3', 1)]);
    expect(titles(replica)).toEqual(['todo 1 v1']);
  });

  it('when a sync is abandoned, then the buffered events are applied and the next sync starts from the unbroken run', () => {
    const replica = new TodoReplica();
    replica.completeSync({ seq: 1, changes: [] });
    replica.beginSync();
    replica.receive({ type: 'todo:created', todo: todo('1', 1), seq: 2 });
    replica.receive({ type: 'todo:created', todo: todo('2', 1), seq: 4 });
    replica.abandonSync();
    expect(titles(replica)).toEqual(['todo 1 v1', 'todo 2 v1']);
    expect(replica.beginSync()).toBe(2);
  });

  it('when a live event repeats a seq already applied, then it is dropped, even if it carries another state', () => {
    const replica = new TodoReplica();
    replica.completeSync({ seq: 0, changes: [] });
    expect(replica.receive({ type: 'todo:created', todo: todo('1', 1), seq: 1 })).toBe(true);
    expect(replica.receive({ type: 'todo:updated', todo: todo('1', 2), seq: 2 })).toBe(true);
    expect(replica.receive({ type: 'todo:created', todo: todo('1', 1), seq: 1 })).toBe(false);
    expect(replica.get(todo('1', 1).id)?.version).toBe(2);
    expect(replica.lastSeq).toBe(2);
  });

  it('when a seq is skipped, then the replica says so until the gap closes', () => {
    const replica = new TodoReplica();
    replica.completeSync({ seq: 0, changes: [] });
    replica.receive({ type: 'todo:created', todo: todo('1', 1), seq: 1 });
    expect(replica.hasGap).toBe(false);
    replica.receive({ type: 'todo:created', todo: todo('3', 1), seq: 3 });
    expect(replica.hasGap).toBe(true);
    replica.receive({ type: 'todo:created', todo: todo('2', 1), seq: 2 });
    expect(replica.hasGap).toBe(false);
    expect(replica.lastSeq).toBe(3);
  });
});

describe('TodoReplica.list', () => {
  const todo = (id: string, createdAt: string, version = 1) => ({ id, title: id, completed: false, createdAt, updatedAt: createdAt, version });

  it('when todos change between two lists, then each list is in creation order and the caller may change its copy', () => {
    const replica = new TodoReplica();
    replica.applyTodo(todo('b', '2026-01-01T10:00:02.000Z'));
    replica.applyTodo(todo('a', '2026-01-01T10:00:01.000Z'));
    const first = replica.list();
    expect(first.map((t) => t.id)).toEqual(['a', 'b']);
    first.pop();
    replica.applyTodo(todo('c', '2026-01-01T10:00:00.000Z'));
    expect(replica.list().map((t) => t.id)).toEqual(['c', 'a', 'b']);
    replica.applyDeletion('a');
    replica.applyTodo(todo('b', '2026-01-01T10:00:02.000Z', 2));
    expect(replica.list().map((t) => [t.id, t.version])).toEqual([
      ['c', 1],
      ['b', 2],
    ]);
  });
});
