import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error plain ESM script without types
import { mongoServer } from '../../../scripts/lib/executables.mjs';

/**
 * Private, throw-away servers (redis-server, the MongoDB-wire server) that a fault test may
 * kill and restart under a running backend. `npm test`'s setup installs their binaries.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, up: boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open === up) return;
    if (Date.now() > deadline) throw new Error(`redis on ${port} did not come ${up ? 'up' : 'down'} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

abstract class ServiceProcess {
  private child?: ChildProcess;
  constructor(readonly port: number) {}

  protected abstract command(): [string, string[]];

  async start(): Promise<void> {
    const [bin, args] = this.command();
    this.child = spawn(bin, args, { stdio: 'ignore' });
    await waitForPort(this.port, true, 15_000);
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    const exited = new Promise((resolve) => this.child!.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
    this.child = undefined;
    await waitForPort(this.port, false);
  }
}

export class RedisProcess extends ServiceProcess {
  static async start(): Promise<RedisProcess> {
    const redis = new RedisProcess(await freePort());
    await redis.start();
    return redis;
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  protected command(): [string, string[]] {
    return ['redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']];
  }
}

/** The same MongoDB-wire server the cluster uses (mongod when on the PATH, else the built FerretDB), on its own data dir. */
export class MongoProcess extends ServiceProcess {
  private constructor(
    port: number,
    private readonly dataDir: string,
  ) {
    super(port);
  }
  static async start(): Promise<MongoProcess> {
    const mongo = new MongoProcess(await freePort(), mkdtempSync(path.join(os.tmpdir(), 'cobalt-mongo-')));
    await mongo.start();
    return mongo;
  }
  get url(): string {
    return `mongodb://127.0.0.1:${this.port}/cobalt`;
  }
  protected command(): [string, string[]] {
    const server = mongoServer();
    if (server.kind === 'mongod') return [server.bin, ['--dbpath', this.dataDir, '--port', String(this.port), '--bind_ip', '127.0.0.1', '--quiet']];
    return [
      server.bin,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${this.dataDir}/`,
        `--listen-addr=127.0.0.1:${this.port}`,
        `--state-dir=${this.dataDir}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=error',
      ],
    ];
  }
}

/**
 * A TCP pass-through to a real server that a test can cut and restore: a network outage of
 * that dependency as the backend sees it (refused connections, open ones reset); or hold and
 * release: a server that stops answering for a while.
 */
export class TcpCut {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Each client connection and its connection to the server. */
  private readonly links = new Map<net.Socket, net.Socket>();
  private held = false;
  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async to(targetUrl: string): Promise<TcpCut> {
    const url = new URL(targetUrl);
    const cut = new TcpCut(await freePort(), { host: url.hostname, port: Number(url.port) });
    await cut.restore();
    return cut;
  }

  /** `targetUrl` with its host and port replaced by this pass-through. */
  rewrite(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async restore(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      this.links.set(client, upstream);
      client.on('close', () => this.links.delete(client));
      upstream.pipe(client);
      if (!this.held) client.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** Holds back what clients send the server, on open connections and new ones, until release(): a server that has stopped answering. */
  hold(): void {
    this.held = true;
    for (const [client, upstream] of this.links) client.unpipe(upstream);
  }

  release(): void {
    this.held = false;
    for (const [client, upstream] of this.links) client.pipe(upstream);
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
