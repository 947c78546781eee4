import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed GraphQL documents for the web app, generated from the schema the backend publishes
 * (backend/schema.graphql): `npm run codegen -w frontend`. The output is checked in, and a test
 * (src/lib/graphql/codegen.test.ts) fails when it differs from what this config generates.
 */
const config: CodegenConfig = {
  schema: '../backend/schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/lib/graphql/generated/**'],
  generates: {
    'src/lib/graphql/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { ID: 'string' } },
    },
  },
  hooks: {},
};

export default config;
