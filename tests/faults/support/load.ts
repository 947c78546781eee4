import { randomBytes } from 'node:crypto';
import { Ledger } from './ledger.js';
import { DeviceSession, HttpSimClient, SocketSimClient, type LoadControl, type SimClient } from './sim-client.js';

export interface LoadOptions {
  baseUrl: string;
  /** Each user has three devices: a WebSocket client, a long-polling client and an HTTP client. */
  users: number;
  /** Pause between two steps of one client, drawn uniformly from this range. */
  thinkMs: [number, number];
}

const PASSWORD = 'fault suite password';

async function post(baseUrl: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(new URL(path, baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function inBatches<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  }));
}

/**
 * A steady mixed load through the public entry point: users with three devices each (one
 * session per device), every device writing its own todos (the HTTP ones also reading), all
 * recorded in one ledger.
 */
export class LoadGenerator {
  readonly ledger = new Ledger();
  readonly control: LoadControl = { running: false, giveUpAt: Number.POSITIVE_INFINITY, runTag: randomBytes(3).toString('hex') };
  readonly sockets: SocketSimClient[] = [];
  readonly http: HttpSimClient[] = [];
  readonly userIds: string[] = [];
  private loops: Promise<void>[] = [];
  startedAt = 0;
  stoppedAt = 0;

  constructor(private readonly options: LoadOptions) {}

  get clients(): SimClient[] {
    return [...this.sockets, ...this.http];
  }

  /** Registers the users, signs in their devices and connects (and syncs) every socket. */
  async setup(): Promise<void> {
    const { baseUrl } = this.options;
    const tag = this.control.runTag;
    await inBatches([...Array(this.options.users).keys()], 6, async (n) => {
      const email = `fault-${tag}-${n}@example.test`;
      const first = await post(baseUrl, '/api/auth/register', { email, password: PASSWORD, name: `fault ${n}`, device: `u${n}-ws` });
      const login = (device: string) => post(baseUrl, '/api/auth/login', { email, password: PASSWORD, device });
      const [poll, web] = await Promise.all([login(`u${n}-poll`), login(`u${n}-http`)]);
      const userId = first.user.id as string;
      this.userIds.push(userId);
      const session = (auth: any) => new DeviceSession(baseUrl, userId, auth.accessToken, auth.refreshToken);
      this.sockets.push(new SocketSimClient(`u${n}-ws`, session(first), this.ledger, this.control, 'websocket'));
      this.sockets.push(new SocketSimClient(`u${n}-poll`, session(poll), this.ledger, this.control, 'polling'));
      this.http.push(new HttpSimClient(`u${n}-http`, session(web), this.ledger, this.control));
    });
    await inBatches([...this.sockets], 12, (socket) => socket.connect());
  }

  start(): void {
    const [min, max] = this.options.thinkMs;
    this.control.running = true;
    this.control.giveUpAt = Number.POSITIVE_INFINITY;
    this.startedAt ||= Date.now();
    this.loops = this.clients.map((client) => client.run(() => min + Math.random() * (max - min)));
  }

  /** Stops new steps; writes still being retried get `drainMs` more before they are given up. */
  async stop(drainMs: number): Promise<void> {
    this.control.running = false;
    this.control.giveUpAt = Date.now() + drainMs;
    await Promise.all(this.loops);
    this.stoppedAt = Date.now();
  }

  close(): void {
    for (const socket of this.sockets) socket.close();
  }

  openSockets(): number {
    return this.sockets.filter((s) => s.connected).length;
  }
}
