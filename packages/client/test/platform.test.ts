import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyedTodoId as serverKeyedTodoId } from '../../../backend/src/components/todos/domain/todo-service.js';
import { keyedTodoId, sha256Hex } from '../src/ids.js';
import { keyValueStorage } from '../src/index.js';
import { fileLockCoordinator, fileStorage, userConfigDirectory } from '../src/platform/node.js';

describe('ids', () => {
  it('when the client derives the id of a todo it creates, then it is the id the server gives it', () => {
    for (const [userId, key] of [
      ['ad85300a-3cb0-46cb-b22e-b6f85a855adf', '2b1f0e8c-0d4e-4f57-9d0a-4e0f3c1b9a77'],
      ['u', 'k'.repeat(100)],
      ['ünïcödé', 'a.b_c:d-e'],
    ] as const) {
      expect(keyedTodoId(userId, key)).toBe(serverKeyedTodoId(userId, key));
      expect(keyedTodoId(userId, key)).toMatch(/^[0-9a-f]{24}$/);
    }
  });

  it('when SHA-256 is computed by hand, then it matches the platform’s for every padding case', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const text = 'x'.repeat(length);
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });
});

describe('storage adapters', () => {
  it('when values are kept in files, then they are read back, listed by prefix in key order, and survive a new instance', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cobalt-storage-'));
    try {
      const storage = fileStorage(join(dir, 'nested'));
      await storage.set('outbox:u1:b', { n: 2 });
      await storage.set('outbox:u1:a', { n: 1 });
      await storage.set('outbox:u2:a', { n: 3 });
      await storage.set('session', { token: 'x/y:z' });
      const again = fileStorage(join(dir, 'nested'));
      expect(await again.list('outbox:u1:')).toEqual([
        ['outbox:u1:a', { n: 1 }],
        ['outbox:u1:b', { n: 2 }],
      ]);
      expect(await again.get('session')).toEqual({ token: 'x/y:z' });
      await again.delete('session');
      expect(await storage.get('session')).toBeUndefined();
      expect((await readdir(join(dir, 'nested'))).every((name) => /^[A-Za-z0-9._%-]+$/.test(name))).toBe(true);
      expect(await fileStorage(join(dir, 'missing')).list('')).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when two processes’ worth of callers take the file lock, then their tasks never overlap', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cobalt-lock-'));
    try {
      // Two coordinators on one directory stand for two processes.
      const [one, two] = [fileLockCoordinator(dir, { pollMs: 1 }), fileLockCoordinator(dir, { pollMs: 1 })];
      let inside = 0;
      let overlapped = false;
      const task = async () => {
        inside++;
        if (inside > 1) overlapped = true;
        await new Promise((resolve) => setTimeout(resolve, 5));
        inside--;
      };
      await Promise.all([one.exclusive('refresh', task), two.exclusive('refresh', task), one.exclusive('refresh', task), two.exclusive('refresh', task)]);
      expect(overlapped).toBe(false);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when an asynchronous string store is adapted, then the SDK’s keys stay within their namespace', async () => {
    const backing = new Map<string, string>([['other-app', '1']]);
    const storage = keyValueStorage({
      getItem: async (k) => backing.get(k) ?? null,
      setItem: async (k, v) => void backing.set(k, v),
      removeItem: async (k) => void backing.delete(k),
      getAllKeys: async () => [...backing.keys()],
    });
    await storage.set('replica:u', { lastSeq: 3, todos: [] });
    expect(await storage.list('')).toEqual([['replica:u', { lastSeq: 3, todos: [] }]]);
    expect([...backing.keys()].sort()).toEqual(['cobalt:replica:u', 'other-app']);
  });

  it('when the config directory is resolved, then each platform’s rule is followed', () => {
    expect(userConfigDirectory('cobalt', { HOME: '/home/ada' }, 'linux')).toBe('/home/ada/.config/cobalt');
    expect(userConfigDirectory('cobalt', { HOME: '/home/ada', XDG_CONFIG_HOME: '/cfg' }, 'linux')).toBe('/cfg/cobalt');
    expect(userConfigDirectory('cobalt', { HOME: '/Users/ada' }, 'darwin')).toBe('/Users/ada/Library/Application Support/cobalt');
  });
});

describe('the core', () => {
  it('when its sources are read, then none but the browser entry uses a DOM-only API', async () => {
    const root = join(import.meta.dirname, '..', 'src');
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.startsWith('platform/browser') && !f.startsWith('platform/node'));
    const offenders: string[] = [];
    for (const file of files) {
      const code = (await readFile(join(root, file), 'utf8')).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/\b(window|document|navigator|indexedDB|localStorage|sessionStorage|BroadcastChannel|IDB\w+)\b/.test(code)) offenders.push(file);
      if (/from 'node:/.test(code)) offenders.push(`${file} (node:)`);
    }
    expect(files.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});
