// ESLint for the whole repository: `npm run lint` (eslint . --max-warnings 0).
//
// Every TypeScript and JavaScript file is linted with typescript-eslint's type-checked rules. The
// type information comes from the nearest tsconfig.json (projectService): each workspace has its
// own, and scripts/, bench/, tests/ and the root files have theirs (allowJs, so the .mjs files get
// types too). The layer rules at the end are import-x's no-restricted-paths zones.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ROOT = import.meta.dirname;

/**
 * A no-restricted-paths zone: files under `target` may not import anything under `from` but `except`.
 * @typedef {{ target: string | string[], from: string | string[], except?: string[], message: string }} Zone
 */

/** The sub-directories of `dir` (repo-relative), or none when it does not exist yet. @param {string} dir */
function subdirectories(dir) {
  try {
    return readdirSync(join(ROOT, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

const BACKEND = 'backend/src';
const TRANSPORTS = ['http', 'graphql', 'realtime'];
const ALL_BACKEND = `${BACKEND}/**`;
const layer = (/** @type {string} */ name) => `${BACKEND}/${name}/**`;
/** import-x matches glob exceptions against absolute paths as they are, so they must be absolute. */
const absolute = (/** @type {string[]} */ patterns) => patterns.map((pattern) => join(ROOT, pattern));

/**
 * The backend's layers (docs/ARCHITECTURE.md): lib <- infra <- transports <- components, and the
 * composition root (main.ts, server.ts, migrate-cli.ts, config.ts, app/) above them all, in no
 * zone. A zone forbids `target` to import anything under `from` except `except`.
 */
function backendZones() {
  /** @type {(target: string, allowed: string[], message: string) => Zone} */
  const onlyFrom = (target, allowed, message) => ({ target, from: ALL_BACKEND, except: absolute(allowed), message });
  /** @type {Zone[]} */
  const zones = [
    onlyFrom(layer('lib'), [layer('lib')], 'backend/src/lib may import only lib.'),
    // The generated Prisma client (backend/src/generated) is the Postgres connection's own code.
    onlyFrom(layer('infra'), [layer('lib'), layer('infra'), layer('generated')], 'backend/src/infra may import only lib and infra.'),
    ...TRANSPORTS.map((transport) =>
      onlyFrom(
        layer(transport),
        [layer('lib'), layer('infra'), ...TRANSPORTS.map(layer)],
        `backend/src/${transport} (a transport) may import lib, infra and the other transports, never a component.`,
      ),
    ),
  ];
  for (const component of subdirectories(`${BACKEND}/components`)) {
    const own = `${BACKEND}/components/${component}`;
    zones.push(
      onlyFrom(
        `${own}/**`,
        [layer('lib'), layer('infra'), ...TRANSPORTS.map(layer), `${own}/**`],
        `component ${component} may import lib, infra, the transports and itself, never another component.`,
      ),
      {
        target: [`${own}/domain/**`, `${own}/data-access/**`],
        from: [`${own}/entry-points/**`, ...TRANSPORTS.map(layer)],
        message: 'domain/ and data-access/ never import entry-points/ or a transport.',
      },
      onlyFrom(`${own}/data-access/**`, [layer('lib'), layer('infra'), `${own}/data-access/**`], 'data-access/ imports only lib, infra and its own data-access.'),
    );
  }
  return zones;
}

/** Frontend features (bulletproof-react): a feature never imports another one; shared code lives in components, lib, config, app, testing. @returns {Zone[]} */
function frontendZones() {
  return subdirectories('frontend/src/features').map((feature) => ({
    target: `frontend/src/features/${feature}/**`,
    from: 'frontend/src/features/**',
    except: absolute([`frontend/src/features/${feature}/**`]),
    message: `feature ${feature} must not import another feature: move what they share to components/ or lib/.`,
  }));
}

/** @type {import('eslint').Linter.RulesRecord} */
const UNSAFE_ANY_OFF = {
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-return': 'off',
};

export default defineConfig([
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    '.data/',
    '.tools/',
    '**/test-results/',
    'coverage/',
    'bench/results/',
    'frontend/src/lib/graphql/generated/',
    'backend/src/generated/',
  ]),

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: ROOT },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are deliberately unused (a required parameter, a skipped tuple slot).
      // `async` without `await` is how a Promise-returning interface is implemented here (Apollo
      // plugin hooks, repositories, fakes), and it turns a throw into a rejection: dropping it would change that.
      '@typescript-eslint/require-await': 'off',
      // Passing on a caught value (`unknown`) unchanged is a rethrow, not a new non-Error rejection.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },

  // Plain JavaScript (scripts/, bench/, the root configs) is typed by inference alone: a value
  // without a JSDoc type is `any` by construction, so the rules that track `any` would demand JSDoc
  // on everything. The other type-aware rules (promises, awaits, templates) still apply, and tsc
  // checks bench/ (checkJs).
  {
    files: ['**/*.{js,mjs,cjs}'],
    rules: UNSAFE_ANY_OFF,
  },

  // Tests read untyped payloads (HTTP bodies, parsed JSON and YAML, socket acks) and assert on
  // them: the expect() that follows is the check, so `any` is allowed and not tracked there.
  {
    files: ['backend/test/**', 'tests/**', 'packages/*/test/**', 'frontend/src/**/*.test.{ts,tsx}', 'frontend/src/testing/**'],
    rules: { ...UNSAFE_ANY_OFF, '@typescript-eslint/no-explicit-any': 'off' },
  },

  // The web app and GraphiQL run in the browser, with React.
  {
    files: ['frontend/src/**/*.{ts,tsx}', 'packages/graphiql/src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    ...reactHooks.configs.flat['recommended-latest'],
  },

  // The service worker is a template (vite.config.ts fills in its placeholders at build time), not
  // part of any TypeScript program, so it gets the rules that need no type information.
  {
    files: ['frontend/service-worker.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { ...globals.serviceworker, __COBALT_PRECACHE__: 'readonly' },
      parserOptions: { projectService: false },
    },
  },

  // Layer rules: a wrong import fails the lint.
  {
    files: ['backend/src/**/*.ts', 'frontend/src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones: [...backendZones(), ...frontendZones()] }],
    },
  },

  // Last: turns off every stylistic rule Prettier owns, so the two never disagree.
  prettier,
]);
