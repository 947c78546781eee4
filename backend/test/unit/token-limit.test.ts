import { describe, expect, it } from 'vitest';
import { checkTokenLimit, MAX_TOKENS } from '../../src/graphql/limits.js';

const overLimit = `{ ${Array.from({ length: MAX_TOKENS }, (_, i) => `f${i}`).join(' ')} }`;

describe('the GraphQL token limit', () => {
  it('when a query is within the limit, then it passes, the first time and again', () => {
    expect(() => checkTokenLimit('{ todos { items { id } } }')).not.toThrow();
    expect(() => checkTokenLimit('{ todos { items { id } } }')).not.toThrow();
  });

  it('when a query is over the limit, then it is refused every time it is sent', () => {
    expect(() => checkTokenLimit(overLimit)).toThrow(/token limit/i);
    expect(() => checkTokenLimit(overLimit)).toThrow(/token limit/i);
  });
});
