import { randomBytes } from 'node:crypto';
import { Ledger } from './ledger.js';
import { HttpSimClient, SocketSimClient, type LoadControl, type SimClient } from './sim-client.js';

export interface LoadOptions {
  baseUrl: string;
  /** Each user has three devices: a WebSocket client, a long-polling client and an HTTP client. */
  users: number;
  /** Pause between two steps of one client, drawn uniformly from this range. */
  thinkMs: [number, number];
}

const PASSWORD = 'fault suite password';

/** Runs `task` over `items`, at most `limit` at a time. */
async function inBatches<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
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

  /** Registers the users, signs in their devices (the sockets connect from then on) and waits for every socket's first sync. */
  async setup(): Promise<void> {
    const { baseUrl } = this.options;
    const tag = this.control.runTag;
    await inBatches([...Array(this.options.users).keys()], 6, async (n) => {
      const account = { email: `fault-${tag}-${n}@example.test`, password: PASSWORD, name: `fault ${n}` };
      const ws = new SocketSimClient(`u${n}-ws`, baseUrl, this.ledger, this.control, 'websocket');
      const poll = new SocketSimClient(`u${n}-poll`, baseUrl, this.ledger, this.control, 'polling');
      const web = new HttpSimClient(`u${n}-http`, baseUrl, this.ledger, this.control);
      // Each device one session, as before: the first registers the user, the others sign in to it.
      await ws.signIn({ ...account, register: true });
      await Promise.all([poll.signIn({ ...account, register: false }), web.signIn({ ...account, register: false })]);
      this.userIds.push(ws.userId);
      this.sockets.push(ws, poll);
      this.http.push(web);
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
    for (const client of this.clients) client.close();
  }

  openSockets(): number {
    return this.sockets.filter((s) => s.connected).length;
  }
}
