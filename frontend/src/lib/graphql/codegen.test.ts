// @vitest-environment node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../../../codegen';

const root = join(import.meta.dirname, '..', '..', '..');

describe('typed GraphQL documents', () => {
  it('when backend/schema.graphql or a document of the app changes, then src/lib/graphql/generated must be regenerated (npm run codegen -w frontend)', async () => {
    const previous = process.cwd();
    process.chdir(root);
    try {
      const outputs = (await generate({ ...config, silent: true }, false)) as { filename: string; content: string }[];
      expect(outputs.length).toBeGreaterThan(0);
      for (const { filename, content } of outputs) expect(readFileSync(join(root, filename), 'utf8'), filename).toBe(content);
    } finally {
      process.chdir(previous);
    }
  });
});
