// The peer: a dedicated real-time server measured on the same fan-out and idle scenarios.
// NATS (nats-server, WebSocket listener on) is built from the Go module proxy into .tools/bin.
// (Centrifugo, the first choice, is not served by the module proxy these machines reach.)
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { which } from '../../scripts/lib/executables.mjs';
import { ROOT } from '../../scripts/lib/root.mjs';

export const NATS_MODULE = 'github.com/nats-io/nats-server/v2';
export const NATS_VERSION = 'v2.15.2';

export function natsPorts(offset = Number(process.env.BENCH_PORT_OFFSET ?? 0)) {
  return { port: 31222 + offset, wsPort: 31223 + offset, monitorPort: 31224 + offset };
}

/** Path of nats-server, building it when missing. Resolves `{ bin }` or `{ error }` (never throws). */
export function ensureNatsServer({ root = ROOT, log }) {
  const bin = join(root, '.tools', 'bin', 'nats-server');
  if (existsSync(bin)) return { bin };
  const go = which('go', ['/usr/local/go/bin', '/usr/lib/go/bin']);
  if (!go) return { error: 'no Go toolchain on this machine to build nats-server' };
  log(`peer: building nats-server ${NATS_VERSION} from the Go module proxy`);
  const started = Date.now();
  const res = spawnSync(go, ['install', `${NATS_MODULE}@${NATS_VERSION}`], {
    env: { ...process.env, GOBIN: join(root, '.tools', 'bin'), GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (res.status !== 0 || !existsSync(bin))
    return { error: `go install ${NATS_MODULE}@${NATS_VERSION} failed: ${(res.stderr || res.error?.message || '').trim().split('\n').slice(-3).join(' ')}` };
  log(`peer: built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { bin };
}

async function healthy(monitorPort) {
  try {
    const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts nats-server on loopback with a WebSocket listener; `restart()` and `stop()` as the bench needs them. */
export async function startNats({ bin, dataDir, ports = natsPorts(), token = 'bench-peer-token' }) {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const config = join(dataDir, 'nats.conf');
  writeFileSync(
    config,
    [
      `listen: 127.0.0.1:${ports.port}`,
      `http: 127.0.0.1:${ports.monitorPort}`,
      `authorization { token: "${token}" }`,
      `websocket { listen: "127.0.0.1:${ports.wsPort}", no_tls: true }`,
      'max_payload: 65536',
      '',
    ].join('\n'),
  );
  let child = null;
  const launch = async () => {
    const fd = openSync(join(dataDir, 'logs', 'nats.log'), 'a');
    try {
      child = spawn(bin, ['-c', config], { stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    const started = Date.now();
    while (!(await healthy(ports.monitorPort))) {
      if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode}); see ${join(dataDir, 'logs', 'nats.log')}`);
      if (Date.now() - started > 30_000) throw new Error('nats-server not healthy within 30 s');
      await sleep(50);
    }
    return Date.now() - started;
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return 0;
    const started = Date.now();
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
    return Date.now() - started;
  };
  // A bench that dies does not leave its peer server behind.
  process.on('exit', () => child?.exitCode === null && child.kill('SIGTERM'));
  const startedInMs = await launch();
  return {
    ...ports,
    token,
    wsUrl: `ws://127.0.0.1:${ports.wsPort}`,
    startedInMs,
    pid: () => child.pid,
    async restart() {
      const stoppedInMs = await stop();
      const readyInMs = await launch();
      return { stoppedInMs, readyInMs };
    },
    stop,
  };
}
