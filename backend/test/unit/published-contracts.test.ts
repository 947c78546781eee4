import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaSdl } from '../../src/graphql/schema.js';

const published = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('published contracts', () => {
  it('when the GraphQL schema in the code changes, then backend/schema.graphql must be regenerated (npm run schema -w backend)', () => {
    expect(published('schema.graphql')).toBe(schemaSdl());
  });
});
