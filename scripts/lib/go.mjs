// The Go toolchain for builds from the module proxy (FerretDB, the check tools).
import { delimiter, dirname } from 'node:path';
import { which } from './executables.mjs';

const GO_DIRS = ['/usr/local/go/bin', '/usr/lib/go/bin'];

/** `{ go, env }` to build with; `purpose` names what needs it. */
export function goToolchain(minimum, purpose) {
  const go = which('go', GO_DIRS);
  if (!go) throw new Error(`${purpose} needs Go, but no \`go\` binary was found (looked on PATH and in /usr/local/go/bin)`);
  return { go, env: { ...process.env, PATH: `${dirname(go)}${delimiter}${process.env.PATH ?? ''}`, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' } };
}
