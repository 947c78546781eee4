import { readdirSync, readFileSync } from 'node:fs';

/** Alive and not a zombie. */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The command line a process runs (as its title shows it), or [] when it is gone. */
export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Sends `sig` to a process (or, with `group`, to its process group); false when there is none. */
export function signalProcess(pid, sig, group = false) {
  try {
    process.kill(group ? -pid : pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** The parent of a process, or 0 when it is gone. */
export function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/**
 * The processes `roots` and all their descendants, roots first (PostgreSQL runs a process per
 * client under its postmaster). One pass over /proc; a process that ends meanwhile is left out.
 * @param {number[]} roots
 */
export function descendantsOf(roots) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (!ppid) continue;
    const siblings = children.get(ppid);
    if (siblings) siblings.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  /** @type {number[]} */
  const found = [];
  const visit = (/** @type {number} */ pid) => {
    found.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  roots.forEach(visit);
  return found;
}
