import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CobaltClient, type CobaltClientOptions } from '../client.js';
import type { ClientStorage, Coordinator } from './ports.js';
import { localCoordinator } from './portable.js';

/** File names that mean the same key on every file system: [A-Za-z0-9._-] as is, anything else as %HH. */
const encodeKey = (key: string) =>
  [...new TextEncoder().encode(key)].map((b) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');
const decodeKey = (name: string) => decodeURIComponent(name);

/**
 * Storage in a directory, one JSON file per key. A write goes to a temporary file that is then
 * renamed over the old one, so a crash never leaves half a value; and since every outbox entry
 * has its own key, processes sharing the directory never overwrite each other's changes.
 */
export function fileStorage(directory: string): ClientStorage {
  let made: Promise<unknown> | null = null;
  const ready = () => (made ??= mkdir(directory, { recursive: true, mode: 0o700 }));
  const path = (key: string) => join(directory, `${encodeKey(key)}.json`);
  return {
    async get<T>(key: string) {
      try {
        return JSON.parse(await readFile(path(key), 'utf8')) as T;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async set(key, value) {
      await ready();
      const temporary = `${path(key)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      // 0600: the session file holds a refresh token.
      await writeFile(temporary, JSON.stringify(value), { mode: 0o600 });
      await rename(temporary, path(key));
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
    async list<T>(prefix: string) {
      let names: string[];
      try {
        names = await readdir(directory);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const keys = names
        .filter((name) => name.endsWith('.json'))
        .map((name) => decodeKey(name.slice(0, -5)))
        .filter((key) => key.startsWith(prefix))
        .sort();
      const entries: [string, T][] = [];
      for (const key of keys) {
        const value = await this.get<T>(key).catch(() => undefined);
        if (value !== undefined) entries.push([key, value]);
      }
      return entries;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Processes of one user sharing a config directory: `exclusive` holds a lock directory (mkdir is
 * atomic on every file system; one older than `staleMs` was left by a process that died), so two
 * processes never spend the same refresh token. Leadership and channels stay within a process:
 * two processes may send the same queued change, which the server applies once (its id).
 */
export function fileLockCoordinator(directory: string, { staleMs = 30_000, pollMs = 50 } = {}): Coordinator {
  const local = localCoordinator();
  const acquire = async (lock: string) => {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    for (;;) {
      try {
        await mkdir(lock);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > staleMs) await rm(lock, { recursive: true, force: true });
        else await sleep(pollMs);
      }
    }
  };
  return {
    exclusive: (name, task) =>
      local.exclusive(name, async () => {
        const lock = join(directory, `${encodeKey(name)}.lock`);
        await acquire(lock);
        try {
          return await task();
        } finally {
          await rm(lock, { recursive: true, force: true });
        }
      }),
    lead: (name, onLead) => local.lead(name, onLead),
    channel: (name) => local.channel(name),
  };
}

/**
 * The per-user configuration directory of an application, by the platform's rules:
 * `$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application Support` on macOS,
 * `%APPDATA%` on Windows. (A few lines, so no dependency.)
 */
export function userConfigDirectory(app: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME ?? env.USERPROFILE ?? '.';
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), app);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', app);
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), app);
}

/**
 * A client for a Node program: session, replica and outbox in `directory` (files), processes
 * sharing it taking turns to refresh, and the refresh token kept in the session file.
 */
export function createNodeClient(options: Partial<CobaltClientOptions> & { baseUrl: string; directory: string }): CobaltClient {
  const { directory, ...rest } = options;
  return new CobaltClient({
    storage: fileStorage(directory),
    coordinator: fileLockCoordinator(directory),
    credentials: 'token',
    device: `${hostname()} (Node ${process.version})`,
    ...rest,
  });
}
