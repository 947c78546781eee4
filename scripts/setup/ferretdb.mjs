// The MongoDB-wire server: `mongod` when on PATH, else FerretDB built from the Go module proxy.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mongoServer } from '../lib/executables.mjs';
import { goToolchain } from '../lib/go.mjs';
import { run } from '../lib/run.mjs';

export const FERRETDB_VERSION = 'v1.24.2';

function ferretdbVersion(bin) {
  if (!existsSync(bin)) return null;
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (res.status !== 0) return null;
  const m = /version:\s*(v\S+)/.exec(`${res.stdout}${res.stderr}`);
  return m ? m[1] : null;
}

/** The Go release a go.mod asks for, as a toolchain version ('go 1.24' is Go 1.24.0). */
function goDirective(goMod) {
  const version = /^go\s+(\d+\.\d+(?:\.\d+)?)\s*$/m.exec(readFileSync(goMod, 'utf8'))?.[1];
  if (!version) throw new Error(`${goMod} has no go directive`);
  return version.split('.').length === 2 ? `${version}.0` : version;
}

/**
 * Build FerretDB into `out` from tools/ferretdb/{go.mod,go.sum,tools.go}.
 * A plain module build panics at start because build/version/version.txt is generated upstream,
 * so the module is vendored and the file written before building.
 */
function buildFerretdb(root, out, log) {
  const moduleDir = join(root, 'tools', 'ferretdb');
  const { go, env } = goToolchain(goDirective(join(moduleDir, 'go.mod')), `FerretDB ${FERRETDB_VERSION} (the MongoDB-wire server used when no mongod is on PATH)`);
  const dir = mkdtempSync(join(tmpdir(), 'cobalt-ferretdb-'));
  try {
    for (const f of ['go.mod', 'go.sum', 'tools.go']) copyFileSync(join(moduleDir, f), join(dir, f));
    run(go, ['mod', 'vendor'], { cwd: dir, env, quiet: true });
    const versionDir = join(dir, 'vendor', 'github.com', 'FerretDB', 'FerretDB', 'build', 'version');
    mkdirSync(versionDir, { recursive: true });
    writeFileSync(join(versionDir, 'version.txt'), `${FERRETDB_VERSION}\n`);
    mkdirSync(dirname(out), { recursive: true });
    const tmpOut = `${out}.tmp-${process.pid}`;
    log(`  go build FerretDB ${FERRETDB_VERSION} (about a minute)`);
    run(go, ['build', '-mod=vendor', '-trimpath', '-o', tmpOut, 'github.com/FerretDB/FerretDB/cmd/ferretdb'], { cwd: dir, env, quiet: true });
    renameSync(tmpOut, out); // atomic: a concurrent setup never sees a half-written binary
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Setup step: a mongo-wire server, building FerretDB when there is no mongod and no FerretDB of the pinned version. */
export function ensureMongoServer({ root, dry, step, actions, log }) {
  const mongo = mongoServer(root);
  if (mongo.kind === 'mongod') {
    step('mongo', `ok (mongod at ${mongo.bin})`);
    return;
  }
  const have = ferretdbVersion(mongo.bin);
  if (have === FERRETDB_VERSION) {
    step('mongo', `ok (no mongod; FerretDB ${have} at .tools/bin/ferretdb)`);
    return;
  }
  actions.push(`build FerretDB ${FERRETDB_VERSION} into ${mongo.bin}`);
  if (dry) {
    step('mongo', `would build FerretDB ${FERRETDB_VERSION} into .tools/bin/ferretdb (found: ${have ?? 'none'})`);
    return;
  }
  step('mongo', `no mongod on PATH; building FerretDB ${FERRETDB_VERSION} (found: ${have ?? 'none'})`);
  buildFerretdb(root, mongo.bin, log);
  const built = ferretdbVersion(mongo.bin);
  if (built !== FERRETDB_VERSION) throw new Error(`built FerretDB reports version ${built}, expected ${FERRETDB_VERSION}`);
  step('mongo', `built .tools/bin/ferretdb ${built}`);
}
