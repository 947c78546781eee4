import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/root.mjs';

// The layer rules of eslint.config.mjs, checked on made-up files: a file that does not exist is
// linted with the import under test, so the verdict does not depend on how today's code is laid out.
// The imported modules must exist, since an import that does not resolve is never reported. A
// made-up file is in no TypeScript project, so the type-checked rules are off here (the layer
// rule needs no types).
const RULE = 'import-x/no-restricted-paths';
const eslint = new ESLint({ cwd: ROOT, overrideConfig: tseslint.configs.disableTypeChecked });

async function lintImport(file: string, specifier: string) {
  const module = join(ROOT, file, '..', specifier.replace(/\.js$/, ''));
  expect(
    ['.ts', '.tsx'].some((extension) => existsSync(module + extension)),
    `the imported module ${specifier} must exist`,
  ).toBe(true);
  const [result] = await eslint.lintText(`import * as imported from '${specifier}';\n\nexport const used = imported;\n`, { filePath: join(ROOT, file) });
  expect(result?.messages.filter((message) => message.fatal)).toEqual([]);
  return (result?.messages ?? []).filter((message) => message.ruleId === RULE).map((message) => message.message);
}

describe('backend layers', () => {
  it('when a transport imports a component, then the lint fails', async () => {
    const errors = await lintImport('backend/src/http/x.ts', '../components/auth/domain/auth-service.js');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/never a component/);
  });

  it('when a transport imports lib, then the lint passes', async () => {
    expect(await lintImport('backend/src/http/x.ts', '../lib/app-error.js')).toEqual([]);
  });

  it('when a component imports another component, then the lint fails', async () => {
    const errors = await lintImport('backend/src/components/todos/domain/x.ts', '../../auth/domain/auth-service.js');
    expect(errors.join('\n')).toMatch(/never another component/);
  });

  it("when a component's domain imports its entry points, then the lint fails", async () => {
    const errors = await lintImport('backend/src/components/todos/domain/x.ts', '../entry-points/rest.js');
    expect(errors.join('\n')).toMatch(/never import entry-points/);
  });

  it("when a component's data-access imports its domain, then the lint fails; its own data-access passes", async () => {
    const errors = await lintImport('backend/src/components/todos/data-access/x.ts', '../domain/todo-service.js');
    expect(errors.join('\n')).toMatch(/data-access\/ imports only lib, infra and its own data-access/);
    expect(await lintImport('backend/src/components/todos/data-access/x.ts', './todo-store.js')).toEqual([]);
  });
});

describe('frontend features', () => {
  it('when a feature imports another feature, then the lint fails', async () => {
    const errors = await lintImport('frontend/src/features/todos/x.ts', '../auth/api/sign-in');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/feature todos must not import another feature/);
  });

  it('when a feature imports its own code, then the lint passes', async () => {
    expect(await lintImport('frontend/src/features/todos/x.ts', './api/todo-title')).toEqual([]);
  });

  it('when the app imports a feature, then the lint passes', async () => {
    expect(await lintImport('frontend/src/app/x.ts', '../features/auth/api/sign-in')).toEqual([]);
  });
});
