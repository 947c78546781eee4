#!/usr/bin/env node
// Idempotent installer for the local (Docker-free) Cobalt cluster.
//
//   node scripts/setup.mjs [--dry-run] [--skip-apt] [--skip-npm] [--skip-build] [--skip-mongo] [--force-build]
//
// Steps, each printed as one line:
//   1. apt:    PostgreSQL server, Redis, Caddy, Prometheus + promtool, Chromium
//   2. mongo:  `mongod` from PATH, else FerretDB v1.24.2 built into .tools/bin/ferretdb
//   3. npm:    `npm ci` when node_modules is missing or older than package-lock.json
//   4. build:  contract -> client SDK -> cli -> prisma generate -> backend -> frontend, each skipped when up to date
//
// Also importable: `import { setup } from './setup.mjs'` (used by scripts/cluster.mjs).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FERRETDB_VERSION = 'v1.24.2';
const GO_DIRS = ['/usr/local/go/bin', '/usr/lib/go/bin'];

/** Absolute path of an executable found on PATH (plus `extraDirs`), or null. */
export function which(name, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Highest-version PostgreSQL server bin dir (/usr/lib/postgresql/<v>/bin containing initdb), or null. */
export function findPostgresBin() {
  const base = '/usr/lib/postgresql';
  let versions = [];
  try {
    versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'postgres')));
  } catch {
    /* no postgres installed */
  }
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions.length ? join(base, versions[0], 'bin') : null;
}

/** Which apt packages are missing, as [{ pkg, why }]. */
export function detectMissingApt() {
  const missing = [];
  if (!findPostgresBin()) missing.push({ pkg: 'postgresql', why: 'initdb/postgres under /usr/lib/postgresql/*/bin' });
  if (!which('redis-server')) missing.push({ pkg: 'redis-server', why: 'redis-server' });
  if (!which('caddy')) missing.push({ pkg: 'caddy', why: 'caddy' });
  if (!which('prometheus') || !which('promtool')) missing.push({ pkg: 'prometheus', why: 'prometheus + promtool' });
  if (!which('chromium')) missing.push({ pkg: 'chromium', why: 'chromium (browser tests)' });
  return missing;
}

/** Which mongo-wire server to use: { kind: 'mongod'|'ferretdb', bin }. Does not build anything. */
export function mongoServer(root = ROOT) {
  const mongod = which('mongod');
  if (mongod) return { kind: 'mongod', bin: mongod };
  return { kind: 'ferretdb', bin: join(root, '.tools', 'bin', 'ferretdb') };
}

function run(cmd, args, { cwd = ROOT, env = process.env, quiet = false } = {}) {
  const res = spawnSync(cmd, args, { cwd, env, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8' });
  if (res.error) throw new Error(`${cmd} ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0) {
    const out = quiet ? `\n${(res.stdout ?? '') + (res.stderr ?? '')}`.trimEnd().split('\n').slice(-30).join('\n') : '';
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}${out}`);
  }
  return res;
}

/** Newest mtime (ms) of the given files/directories, recursing into directories (skipping node_modules, dist, .git). */
function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(p)) {
        if (entry === 'node_modules' || entry === 'dist' || entry === '.git') continue;
        visit(join(p, entry));
      }
    } else if (st.mtimeMs > newest) newest = st.mtimeMs;
  };
  for (const p of paths) visit(p);
  return newest;
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function ferretdbVersion(bin) {
  if (!existsSync(bin)) return null;
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (res.status !== 0) return null;
  const m = /version:\s*(v\S+)/.exec(`${res.stdout}${res.stderr}`);
  return m ? m[1] : null;
}

function goBinary() {
  return which('go', GO_DIRS);
}

/**
 * Build FerretDB into `<root>/.tools/bin/ferretdb` from tools/ferretdb/{go.mod,go.sum,tools.go}.
 * A plain module build panics at start because build/version/version.txt is generated upstream,
 * so the module is vendored and the file written before building.
 */
function buildFerretdb(root, out, log) {
  const go = goBinary();
  if (!go) throw new Error('FerretDB must be built but no `go` binary was found (looked on PATH and in /usr/local/go/bin)');
  const env = { ...process.env, PATH: `${dirname(go)}${delimiter}${process.env.PATH ?? ''}`, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' };
  const dir = mkdtempSync(join(tmpdir(), 'cobalt-ferretdb-'));
  try {
    for (const f of ['go.mod', 'go.sum', 'tools.go']) copyFileSync(join(root, 'tools', 'ferretdb', f), join(dir, f));
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

/** The generator output directory declared in schema.prisma (first `output = "..."`), resolved; or null. */
function prismaOutput(schemaPath) {
  try {
    const m = /generator\s+\w+\s*\{[^}]*?\boutput\s*=\s*"([^"]+)"/s.exec(readFileSync(schemaPath, 'utf8'));
    return m ? resolve(dirname(schemaPath), m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * @param {object} [opts]
 * @param {string} [opts.root]        repository root
 * @param {boolean} [opts.dryRun]     detect and print what would be done, change nothing
 * @param {boolean} [opts.apt=true]   check/install apt packages
 * @param {boolean} [opts.mongo=true] ensure a mongo-wire server (mongod or FerretDB)
 * @param {boolean} [opts.npm=true]   run `npm ci` when needed
 * @param {boolean} [opts.build=true] build contract, prisma client, backend, frontend
 * @param {boolean} [opts.forceBuild] rebuild even when outputs look up to date
 * @param {(line: string) => void} [opts.log]
 * @returns {Promise<{ postgresBin: string|null, mongo: { kind: string, bin: string }, actions: string[] }>}
 */
export async function setup(opts = {}) {
  const root = resolve(opts.root ?? ROOT);
  const dry = Boolean(opts.dryRun);
  const log = opts.log ?? ((line) => console.log(line));
  const actions = [];
  const step = (name, msg) => log(`setup ${name.padEnd(9)} ${msg}`);

  // 1. apt packages
  if (opts.apt !== false) {
    const missing = detectMissingApt();
    if (missing.length === 0) {
      step('apt', 'ok (postgresql, redis-server, caddy, prometheus, chromium present)');
    } else {
      const pkgs = [...new Set(missing.map((m) => m.pkg))];
      const isRoot = process.getuid?.() === 0;
      const sudo = isRoot ? [] : which('sudo') ? ['sudo'] : null;
      if (sudo === null && !dry) throw new Error(`missing apt packages (${pkgs.join(' ')}); not root and no sudo: install them by hand`);
      const prefix = sudo ?? ['sudo'];
      const update = [...prefix, 'apt-get', 'update'];
      const install = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', ...pkgs];
      actions.push(update.join(' '), install.join(' '));
      if (dry) {
        step('apt', `missing: ${missing.map((m) => m.why).join(', ')}; would run: ${update.join(' ')} && ${install.join(' ')}`);
      } else {
        step('apt', `installing ${pkgs.join(' ')}`);
        run(update[0], update.slice(1));
        run(install[0], install.slice(1));
        const still = detectMissingApt();
        if (still.length) throw new Error(`apt-get install finished but still missing: ${still.map((m) => m.why).join(', ')}`);
      }
    }
  }

  // 2. mongo-wire server
  const mongo = mongoServer(root);
  if (opts.mongo !== false) {
    if (mongo.kind === 'mongod') {
      step('mongo', `ok (mongod at ${mongo.bin})`);
    } else {
      const have = ferretdbVersion(mongo.bin);
      if (have === FERRETDB_VERSION) {
        step('mongo', `ok (no mongod; FerretDB ${have} at .tools/bin/ferretdb)`);
      } else {
        actions.push(`build FerretDB ${FERRETDB_VERSION} into ${mongo.bin}`);
        if (dry) step('mongo', `would build FerretDB ${FERRETDB_VERSION} into .tools/bin/ferretdb (found: ${have ?? 'none'})`);
        else {
          step('mongo', `no mongod on PATH; building FerretDB ${FERRETDB_VERSION} (found: ${have ?? 'none'})`);
          buildFerretdb(root, mongo.bin, log);
          const built = ferretdbVersion(mongo.bin);
          if (built !== FERRETDB_VERSION) throw new Error(`built FerretDB reports version ${built}, expected ${FERRETDB_VERSION}`);
          step('mongo', `built .tools/bin/ferretdb ${built}`);
        }
      }
    }
  }

  // 3. npm dependencies
  if (opts.npm !== false) {
    const lock = join(root, 'package-lock.json');
    const installed = join(root, 'node_modules', '.package-lock.json');
    const reason = !existsSync(join(root, 'node_modules')) ? 'node_modules missing' : mtime(lock) > mtime(installed) ? 'package-lock.json changed' : null;
    if (!reason) step('npm', 'ok (node_modules up to date)');
    else {
      actions.push('npm ci');
      if (dry) step('npm', `${reason}; would run: npm ci`);
      else {
        step('npm', `${reason}; npm ci`);
        run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root });
      }
    }
  }

  // 4. builds, in dependency order
  if (opts.build !== false) {
    const lockInput = join(root, 'package-lock.json');
    const base = join(root, 'tsconfig.base.json');
    const contractOut = join(root, 'packages', 'contract', 'dist', 'index.js');
    const clientOut = join(root, 'packages', 'client', 'dist', 'index.js');
    const schema = join(root, 'backend', 'prisma', 'schema.prisma');
    const prismaOut = prismaOutput(schema);
    const steps = [
      {
        name: 'contract',
        inputs: [join(root, 'packages', 'contract'), base, lockInput],
        output: contractOut,
        cmd: ['npm', ['run', 'build', '-w', 'packages/contract']],
      },
      {
        name: 'client',
        inputs: [join(root, 'packages', 'client', 'src'), join(root, 'packages', 'client', 'package.json'), join(root, 'packages', 'client', 'tsconfig.json'), base, lockInput, contractOut],
        output: clientOut,
        cmd: ['npm', ['run', 'build', '-w', 'packages/client']],
      },
      {
        name: 'cli',
        inputs: [join(root, 'packages', 'cli', 'src'), join(root, 'packages', 'cli', 'package.json'), join(root, 'packages', 'cli', 'tsconfig.json'), base, lockInput, clientOut],
        output: join(root, 'packages', 'cli', 'dist', 'main.js'),
        cmd: ['npm', ['run', 'build', '-w', 'packages/cli']],
      },
      {
        name: 'prisma',
        when: () => existsSync(schema) || 'backend/prisma/schema.prisma not found',
        inputs: [schema, join(root, 'backend', 'prisma.config.ts'), join(root, 'node_modules', 'prisma', 'package.json'), join(root, 'node_modules', '@prisma', 'client', 'package.json')],
        output: prismaOut ?? join(root, 'backend', 'src', 'generated'),
        cmd: [process.execPath, [join(root, 'scripts', 'prisma-generate.mjs')]],
      },
      {
        name: 'backend',
        when: () => existsSync(join(root, 'backend', 'tsconfig.build.json')) || existsSync(join(root, 'backend', 'tsconfig.json')) || 'backend has no tsconfig yet',
        inputs: [join(root, 'backend', 'src'), join(root, 'backend', 'prisma'), join(root, 'backend', 'package.json'), join(root, 'backend', 'tsconfig.json'), join(root, 'backend', 'tsconfig.build.json'), base, lockInput, contractOut],
        output: join(root, 'backend', 'dist', 'main.js'),
        cmd: ['npm', ['run', 'build', '-w', 'backend']],
      },
      {
        name: 'frontend',
        inputs: [join(root, 'frontend', 'src'), join(root, 'frontend', 'public'), join(root, 'frontend', 'index.html'), join(root, 'frontend', 'vite.config.ts'), join(root, 'frontend', 'tsconfig.json'), join(root, 'frontend', 'package.json'), lockInput, contractOut, clientOut],
        output: join(root, 'frontend', 'dist', 'index.html'),
        cmd: ['npm', ['run', 'build', '-w', 'frontend']],
      },
      {
        // GraphiQL, which backends in development serve at /graphql (backend/src/graphql/graphiql.ts).
        name: 'graphiql',
        inputs: [join(root, 'packages', 'graphiql', 'src'), join(root, 'packages', 'graphiql', 'index.html'), join(root, 'packages', 'graphiql', 'vite.config.ts'), join(root, 'packages', 'graphiql', 'package.json'), lockInput],
        output: join(root, 'packages', 'graphiql', 'dist', 'index.html'),
        cmd: ['npm', ['run', 'build', '-w', 'packages/graphiql']],
      },
    ];
    // A build is up to date when its key output exists and a stamp written after its last
    // successful run is newer than every input (a failed build never refreshes the stamp).
    const stampDir = join(root, '.tools', 'stamps');
    for (const s of steps) {
      const ok = s.when ? s.when() : true;
      if (ok !== true) {
        step(s.name, `skipped (${ok})`);
        continue;
      }
      const stamp = join(stampDir, `${s.name}.stamp`);
      const inputsAt = newestMtime(s.inputs);
      const upToDate = !opts.forceBuild && existsSync(s.output) && mtime(stamp) >= inputsAt;
      if (upToDate) {
        step(s.name, 'up to date');
        continue;
      }
      const [cmd, args] = s.cmd;
      actions.push(`${cmd === process.execPath ? 'node' : cmd} ${args.join(' ')}`);
      if (dry) {
        step(s.name, `would run: ${cmd === process.execPath ? 'node' : cmd} ${args.join(' ')}`);
        continue;
      }
      const started = Date.now();
      run(cmd, args, { cwd: root, quiet: true });
      mkdirSync(stampDir, { recursive: true });
      writeFileSync(stamp, `${new Date().toISOString()}\n`);
      step(s.name, `built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
  }

  return { postgresBin: findPostgresBin(), mongo, actions };
}

function parseArgs(argv) {
  const known = new Set(['--dry-run', '--skip-apt', '--skip-npm', '--skip-build', '--skip-mongo', '--force-build', '--help', '-h']);
  for (const a of argv) if (!known.has(a)) throw new Error(`unknown option ${a} (try --help)`);
  return {
    help: argv.includes('--help') || argv.includes('-h'),
    dryRun: argv.includes('--dry-run'),
    apt: !argv.includes('--skip-apt'),
    npm: !argv.includes('--skip-npm'),
    build: !argv.includes('--skip-build'),
    mongo: !argv.includes('--skip-mongo'),
    forceBuild: argv.includes('--force-build'),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) {
      console.log('usage: node scripts/setup.mjs [--dry-run] [--skip-apt] [--skip-mongo] [--skip-npm] [--skip-build] [--force-build]');
    } else {
      await setup(args);
    }
  } catch (err) {
    console.error(`setup failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
