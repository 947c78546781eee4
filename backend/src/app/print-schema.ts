import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schemaSdl } from './graphql-schema.js';

// `npm run schema -w backend`: writes backend/schema.graphql, the published SDL, from the code.
// backend/test/unit/published-contracts.test.ts fails when the file and the code differ.
const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
writeFileSync(target, schemaSdl());
console.log(`wrote ${target}`);
