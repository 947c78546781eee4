import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiJson } from './openapi-document.js';

// `npm run openapi -w backend`: writes backend/openapi.json, the published OpenAPI document, from
// the code. backend/test/unit/published-contracts.test.ts fails when the file and the code differ.
const target = fileURLToPath(new URL('../../openapi.json', import.meta.url));
writeFileSync(target, openApiJson());
console.log(`wrote ${target}`);
