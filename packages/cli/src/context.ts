import { hostname } from 'node:os';
import { join } from 'node:path';
import { CobaltError, type CobaltClient, type SettledMutation } from '@cobalt/client';
import { createNodeClient } from '@cobalt/client/node';
import { CliError, EXIT } from './errors.js';
import type { Options } from './options.js';
import { prompt } from './prompt.js';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  env: NodeJS.ProcessEnv;
}

/** How the first contact with the server went. */
export type Reach = 'synced' | 'offline' | 'timeout';

/** What a command works with: the options, the terminal, and a started client for the server. */
export class Context {
  readonly client: CobaltClient;
  /** Changes the server refused or dropped during this run, reported at the end. */
  readonly dropped: SettledMutation[] = [];

  constructor(
    readonly options: Options,
    readonly io: Io,
  ) {
    // One directory per server, so sessions and unsent changes for two servers never mix.
    const directory = join(options.configDir, options.server.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_'));
    this.client = createNodeClient({ baseUrl: options.server, directory, device: `cobalt CLI on ${hostname()}` });
    this.client.on('settled', (outcome) => {
      if (outcome.type !== 'confirmed') this.dropped.push(outcome);
    });
  }

  out(line: string): void {
    this.io.stdout.write(`${line}\n`);
  }

  /** Notes for people (offline, pending changes): on stderr, so stdout stays the answer. */
  note(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A signed-in session: the kept one, or a sign-in with the given credentials (prompting only on a terminal). */
  async signedIn(): Promise<void> {
    if (this.client.user) return;
    const { email, password } = await this.credentials();
    await this.client.signIn({ email, password });
  }

  async credentials(): Promise<{ email: string; password: string }> {
    let { email, password } = this.options.credentials;
    const interactive = this.io.stdin.isTTY === true;
    if ((!email || !password) && !interactive) {
      throw new CliError('Not signed in. Run `cobalt login`, or pass --email and --password (or set COBALT_EMAIL and COBALT_PASSWORD).', EXIT.signedOut);
    }
    email ||= await prompt(this.io, 'Email: ');
    password ||= await prompt(this.io, 'Password: ', { hidden: true });
    return { email, password };
  }

  /**
   * Waits until the list is synced and every change made here has been answered, or until the
   * server turns out to be unreachable (the first attempt fails), or the timeout passes. Changes
   * not sent yet stay kept for the next run.
   */
  async reachServer(): Promise<Reach> {
    const reach = await this.waitForServer();
    // The server refused the kept session (it was signed out elsewhere, or expired): say so, not "offline".
    const state = this.client.authState.get();
    if (state.status === 'signed-out') {
      // Unattended runs sign in again with the credentials they were given, and carry on.
      const { email, password } = this.options.credentials;
      if (email && password) {
        await this.client.signIn({ email, password });
        return this.waitForServer();
      }
      const why = state.reason === 'revoked' ? 'this device was signed out from another device' : 'the session ended';
      throw new CliError(`Not signed in: ${why}. Run \`cobalt login\`.`, EXIT.signedOut);
    }
    return reach;
  }

  private waitForServer(): Promise<Reach> {
    const { client } = this;
    const done = () => client.todos.state.get().synced && client.pendingCount === 0;
    if (done()) return Promise.resolve('synced');
    return new Promise((resolve) => {
      let connected = false;
      const finish = (reach: Reach) => {
        clearTimeout(timer);
        for (const off of offs) off();
        resolve(reach);
      };
      const timer = setTimeout(() => finish(connected ? 'timeout' : 'offline'), this.options.timeoutMs);
      const offs = [
        client.todos.subscribe(() => done() && finish('synced')),
        client.connection.events.on('ready', () => (connected = true)),
        // Refused handshakes for a stale token are retried after a refresh; only an unreachable server means offline.
        client.connection.events.on('failed', ({ code }) => !connected && code === undefined && finish('offline')),
        client.authState.subscribe((state) => state.status === 'signed-out' && finish('offline')),
      ];
    });
  }

  /** One line about what could not be done now. */
  notePending(reach: Reach): void {
    const pending = this.client.pendingCount;
    if (reach === 'synced' && pending === 0) return;
    const where = reach === 'offline' ? `${this.options.server} is unreachable` : `${this.options.server} did not answer in time`;
    if (pending > 0) this.note(`cobalt: ${where}; ${pending === 1 ? '1 change is' : `${pending} changes are`} kept and will be sent at the next run.`);
    else this.note(`cobalt: ${where}; showing the list as of the last sync.`);
  }

  /** Reports changes the server dropped (conflicts, refusals); true when there were any. */
  reportDropped(): boolean {
    for (const outcome of this.dropped) {
      const what = outcome.title ? `“${outcome.title}”` : outcome.mutation.todoId;
      if (outcome.type === 'conflict') this.note(`cobalt: your change to ${what} was dropped: it was deleted on another device.`);
      else if (outcome.type === 'rejected') this.note(`cobalt: the server refused your change to ${what}: ${outcome.error.message} (${outcome.error.code}).`);
    }
    return this.dropped.length > 0;
  }

  async close(): Promise<void> {
    await this.client.stop();
  }
}

/** An SDK error as one line for people, with an exit code. */
export function describe(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof CobaltError) {
    switch (error.code) {
      case 'INVALID_CREDENTIALS':
        return new CliError('Email or password is incorrect.', EXIT.signedOut);
      case 'NOT_SIGNED_IN':
      case 'SESSION_ENDED':
      case 'UNAUTHENTICATED':
        return new CliError('Not signed in (the session ended). Run `cobalt login`.', EXIT.signedOut);
      case 'NETWORK':
        return new CliError(`The server could not be reached: ${error.message}`);
      case 'VALIDATION_FAILED':
        return new CliError(error.fieldProblems[0]?.message ?? error.message, EXIT.usage);
      default:
        return new CliError(`${error.message} (${error.code})`);
    }
  }
  return new CliError(error instanceof Error ? error.message : String(error));
}
