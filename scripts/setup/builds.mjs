// npm dependencies and the workspace builds, each redone only when its inputs changed.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { run } from '../lib/run.mjs';

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

/** The generator output directory declared in schema.prisma (first `output = "..."`), resolved; or null. */
function prismaOutput(schemaPath) {
  try {
    const m = /generator\s+\w+\s*\{[^}]*?\boutput\s*=\s*"([^"]+)"/s.exec(readFileSync(schemaPath, 'utf8'));
    return m ? resolve(dirname(schemaPath), m[1]) : null;
  } catch {
    return null;
  }
}

/** Setup step: `npm ci` when node_modules is missing or older than package-lock.json. */
export function installNpmDependencies({ root, dry, step, actions }) {
  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  const reason = !existsSync(join(root, 'node_modules')) ? 'node_modules missing' : mtime(lock) > mtime(installed) ? 'package-lock.json changed' : null;
  if (!reason) {
    step('npm', 'ok (node_modules up to date)');
    return;
  }
  actions.push('npm ci');
  if (dry) {
    step('npm', `${reason}; would run: npm ci`);
    return;
  }
  step('npm', `${reason}; npm ci`);
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root });
}

/**
 * The builds, in dependency order: each with the inputs that make it out of date and its key output.
 * @param {string} root
 * @returns {{ name: string, when?: () => true | string, inputs: string[], output: string, cmd: [string, string[]] }[]}
 */
function buildSteps(root) {
  const lockInput = join(root, 'package-lock.json');
  const base = join(root, 'tsconfig.base.json');
  const contractOut = join(root, 'packages', 'contract', 'dist', 'index.js');
  const clientOut = join(root, 'packages', 'client', 'dist', 'index.js');
  const schema = join(root, 'backend', 'prisma', 'schema.prisma');
  const prismaOut = prismaOutput(schema);
  return [
    {
      name: 'contract',
      inputs: [join(root, 'packages', 'contract'), base, lockInput],
      output: contractOut,
      cmd: ['npm', ['run', 'build', '-w', 'packages/contract']],
    },
    {
      name: 'client',
      inputs: [
        join(root, 'packages', 'client', 'src'),
        join(root, 'packages', 'client', 'package.json'),
        join(root, 'packages', 'client', 'tsconfig.json'),
        base,
        lockInput,
        contractOut,
      ],
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
      inputs: [
        schema,
        join(root, 'backend', 'prisma.config.ts'),
        join(root, 'node_modules', 'prisma', 'package.json'),
        join(root, 'node_modules', '@prisma', 'client', 'package.json'),
      ],
      output: prismaOut ?? join(root, 'backend', 'src', 'generated'),
      cmd: [process.execPath, [join(root, 'scripts', 'prisma-generate.mjs')]],
    },
    {
      name: 'backend',
      when: () => existsSync(join(root, 'backend', 'tsconfig.build.json')) || existsSync(join(root, 'backend', 'tsconfig.json')) || 'backend has no tsconfig yet',
      inputs: [
        join(root, 'backend', 'src'),
        join(root, 'backend', 'prisma'),
        join(root, 'backend', 'package.json'),
        join(root, 'backend', 'tsconfig.json'),
        join(root, 'backend', 'tsconfig.build.json'),
        base,
        lockInput,
        contractOut,
      ],
      output: join(root, 'backend', 'dist', 'main.js'),
      cmd: ['npm', ['run', 'build', '-w', 'backend']],
    },
    {
      name: 'frontend',
      inputs: [
        join(root, 'frontend', 'src'),
        join(root, 'frontend', 'public'),
        join(root, 'frontend', 'index.html'),
        join(root, 'frontend', 'vite.config.ts'),
        join(root, 'frontend', 'tsconfig.json'),
        join(root, 'frontend', 'package.json'),
        lockInput,
        contractOut,
        clientOut,
      ],
      output: join(root, 'frontend', 'dist', 'index.html'),
      cmd: ['npm', ['run', 'build', '-w', 'frontend']],
    },
    {
      // GraphiQL, which backends in development serve at /graphql (backend/src/graphql/graphiql.ts).
      name: 'graphiql',
      inputs: [
        join(root, 'packages', 'graphiql', 'src'),
        join(root, 'packages', 'graphiql', 'index.html'),
        join(root, 'packages', 'graphiql', 'vite.config.ts'),
        join(root, 'packages', 'graphiql', 'package.json'),
        lockInput,
      ],
      output: join(root, 'packages', 'graphiql', 'dist', 'index.html'),
      cmd: ['npm', ['run', 'build', '-w', 'packages/graphiql']],
    },
  ];
}

/**
 * Setup step: the builds that are out of date. A build is up to date when its key output exists
 * and a stamp written after its last successful run is newer than every input (a failed build
 * never refreshes the stamp).
 */
export function buildWorkspaces({ root, dry, forceBuild, step, actions }) {
  const stampDir = join(root, '.tools', 'stamps');
  for (const s of buildSteps(root)) {
    const ok = s.when ? s.when() : true;
    if (ok !== true) {
      step(s.name, `skipped (${ok})`);
      continue;
    }
    const stamp = join(stampDir, `${s.name}.stamp`);
    const upToDate = !forceBuild && existsSync(s.output) && mtime(stamp) >= newestMtime(s.inputs);
    if (upToDate) {
      step(s.name, 'up to date');
      continue;
    }
    const [cmd, args] = s.cmd;
    const shown = `${cmd === process.execPath ? 'node' : cmd} ${args.join(' ')}`;
    actions.push(shown);
    if (dry) {
      step(s.name, `would run: ${shown}`);
      continue;
    }
    const started = Date.now();
    run(cmd, args, { cwd: root, quiet: true });
    mkdirSync(stampDir, { recursive: true });
    writeFileSync(stamp, `${new Date().toISOString()}\n`);
    step(s.name, `built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
}
