import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/app-error.js';
import { parseInput } from '../../src/lib/validation.js';
import { createTodoInput, listTodosInput, syncInput, updateTodoInput } from '../../src/components/todos/schemas.js';

const rejects = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a validation error');
};

describe('todo input schemas', () => {
  it('when a title has surrounding spaces, then it is trimmed', () => {
    expect(parseInput(createTodoInput, { title: '  buy milk  ' })).toEqual({ title: 'buy milk' });
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['501 characters', 'x'.repeat(501)],
    ['an operator object', { $gt: '' }],
    ['a number', 42],
    ['null', null],
  ])('when the title is %s, then it is refused with VALIDATION_FAILED', (_label, title) => {
    const error = rejects(() => parseInput(createTodoInput, { title }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([expect.objectContaining({ path: 'title' })]);
  });

  it('when the title is exactly 500 characters, then it is accepted', () => {
    expect(parseInput(createTodoInput, { title: 'y'.repeat(500) }).title).toHaveLength(500);
  });

  it('when an unknown field is sent, then it is refused (no mass assignment)', () => {
    const error = rejects(() => parseInput(createTodoInput, { title: 'a', userId: 'someone-else' }));
    expect(JSON.stringify(error.details)).toContain('userId');
  });

  it('when an update names neither title nor completed, then it is refused', () => {
    rejects(() => parseInput(updateTodoInput, { id: 'a'.repeat(24) }));
  });

  it.each(['abc', 'z'.repeat(24), { $ne: null }, 12])('when the id is %j, then it is refused', (id) => {
    rejects(() => parseInput(updateTodoInput, { id, completed: true }));
  });

  it('when list parameters come as query strings, then they are converted', () => {
    expect(parseInput(listTodosInput, { completed: 'false', limit: '20' })).toEqual({ completed: false, limit: 20 });
    expect(parseInput(listTodosInput, {})).toEqual({ limit: 50 });
  });

  it.each([{ limit: '0' }, { limit: '101' }, { limit: '1.5' }, { limit: 'ten' }, { limit: ['1', '2'] }, { completed: 'yes' }, { cursor: 'nope' }])(
    'when list parameters are %j, then they are refused',
    (query) => {
      rejects(() => parseInput(listTodosInput, query));
    },
  );

  it('when sync has a negative or fractional since, then it is refused', () => {
    rejects(() => parseInput(syncInput, { since: -1 }));
    rejects(() => parseInput(syncInput, { since: 1.5 }));
    expect(parseInput(syncInput, { since: 0 })).toEqual({ since: 0 });
  });
});
