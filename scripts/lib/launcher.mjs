import { cmdline, isAlive, parentOf } from './processes.mjs';

/**
 * The processes between this one and the npm that started it (`npm start`: npm, sometimes a
 * shell in between), or just the parent when no npm is among the next few; none when this
 * process was not started by a package manager.
 */
function launchers() {
  if (!process.env.npm_lifecycle_event) return [];
  const chain = [];
  for (let pid = process.ppid; pid > 1 && chain.length < 3; pid = parentOf(pid)) {
    chain.push(pid);
    if ((cmdline(pid)[0] ?? '').startsWith('npm')) return chain;
  }
  return chain.slice(0, 1);
}

/**
 * Calls `onGone` once the npm that started this process has gone. npm passes SIGTERM on only to
 * its direct child, and a shell there exits without passing it further: without this, `kill <npm
 * pid>` would leave this process, and all it started, running.
 */
export function whenLauncherGone(onGone, intervalMs = 500) {
  const watched = launchers();
  if (!watched.length) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent && watched.every((pid) => isAlive(pid))) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
}
