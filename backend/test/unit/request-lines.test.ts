import { afterEach, describe, expect, it } from 'vitest';
import { configureLogger, httpLinesShown } from '../../src/lib/logger.js';

describe('request lines on the console', () => {
  afterEach(() => configureLogger({ instanceId: 'test', level: 'error' }));

  it.each([
    ['error', false],
    ['warn', false],
    ['info', false],
    ['http', true],
    ['debug', true],
  ])('when LOG_LEVEL is %s, then a request line that is not a record is built: %s', (level, shown) => {
    configureLogger({ instanceId: 'test', level });
    expect(httpLinesShown()).toBe(shown);
  });
});
