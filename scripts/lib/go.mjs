// The Go toolchain for builds from the module proxy (FerretDB, the check tools).
import { spawnSync } from 'node:child_process';
import { delimiter, dirname } from 'node:path';
import { which } from './executables.mjs';

const GO_DIRS = ['/usr/local/go/bin', '/usr/lib/go/bin'];
/** The first release that fetches the toolchain a module asks for by itself (GOTOOLCHAIN), from the module proxy. */
const FETCHES_TOOLCHAINS = '1.21.0';

const parse = (version) => version.split('.').map(Number);
/** Compares two Go versions ('1.22.3', '1.24'), missing parts counting as 0. */
export function compareGoVersions(a, b) {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

function versionOf(go, env) {
  const res = spawnSync(go, ['version'], { env, encoding: 'utf8', timeout: 30_000 });
  return /\bgo(\d+\.\d+(?:\.\d+)?)/.exec(`${res.stdout ?? ''}`)?.[1] ?? null;
}

/**
 * `{ go, env }` to build with Go `minimum` or newer. Go 1.21+ fetches the toolchain a module asks
 * for from the module proxy (GOTOOLCHAIN; set here, as distributions often switch it off, unless
 * the environment sets it): at least `minimum`, or newer when the module says so. An older go
 * that is not new enough, or none, throws a message that says what to install; `purpose` names
 * what needs it.
 */
export function goToolchain(minimum, purpose) {
  const go = which('go', GO_DIRS);
  const install = `Install Go ${minimum} or newer (Go 1.21+ is enough: it fetches Go ${minimum} itself, through the module proxy), from https://go.dev/dl or your distribution's golang package if it is that recent, and run this again.`;
  if (!go) throw new Error(`${purpose} needs Go ${minimum} or newer, but no \`go\` was found (looked on PATH and in ${GO_DIRS.join(', ')}). ${install}`);
  const env = { ...process.env, PATH: `${dirname(go)}${delimiter}${process.env.PATH ?? ''}`, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' };
  const have = versionOf(go, env);
  if (!have) throw new Error(`${purpose}: \`${go} version\` did not say which Go it is`);
  const newEnough = compareGoVersions(have, minimum) >= 0;
  if (compareGoVersions(have, FETCHES_TOOLCHAINS) < 0) {
    if (newEnough) return { go, env, version: have };
    throw new Error(`${purpose} needs Go ${minimum} or newer, but ${go} is go${have}. ${install}`);
  }
  return { go, env: { GOTOOLCHAIN: newEnough ? 'auto' : `go${minimum}+auto`, ...env }, version: have };
}
