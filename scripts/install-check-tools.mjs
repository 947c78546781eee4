#!/usr/bin/env node
// Installs the tools behind the static checks (scripts/setup/check-tools.mjs), when missing.
//
//   node scripts/install-check-tools.mjs [--print]
import { installCheckTools } from './setup/check-tools.mjs';

export { installSchemathesis } from './setup/check-tools.mjs';

try {
  const paths = await installCheckTools({ log: (line) => console.log(line) });
  if (process.argv.includes('--print')) console.log(JSON.stringify(paths, null, 2));
  else console.log(`check-tools ok (${paths.dir})`);
} catch (err) {
  console.error(`check-tools failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
