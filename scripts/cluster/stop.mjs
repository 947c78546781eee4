// Stopping a cluster started by another process, from what it recorded.
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cmdline, isAlive, signalProcess } from '../lib/processes.mjs';
import { ROOT } from '../lib/root.mjs';
import { clearState, readState, resolveDataDir } from './state.mjs';
import { kindOf, STOP_WAVES, stopProcess } from './supervisor.mjs';

/**
 * Stop a cluster started by another process, from `<dataDir>/cluster.json`. A `start` still in the
 * foreground is asked to stop (SIGTERM) and does it in order; whatever is left, or everything when
 * that process is gone, is stopped here directly, in the same order and manner.
 * @param {{ dataDir?: string, root?: string, log?: (line: string) => void }} [opts]
 */
export async function stopCluster({ dataDir: dir, root = ROOT, log = console.log } = {}) {
  const dataDir = resolveDataDir(dir, root);
  const state = readState(dataDir);
  if (!state) {
    log(`stop      nothing recorded in ${dataDir}`);
    return false;
  }
  if (state.owner === 'cli' && state.pid !== process.pid && isAlive(state.pid)) {
    signalProcess(state.pid, 'SIGTERM');
    const until = Date.now() + 60_000;
    while (isAlive(state.pid) && Date.now() < until) await sleep(200);
  }
  const services = Object.entries(state.services ?? {}).map(([name, s]) => ({ name, ...s }));
  for (const wave of STOP_WAVES) {
    await Promise.all(
      services
        .filter((s) => wave.includes(s.kind))
        .map(async (s) => {
          // Only signal a pid that still runs the program it was started as (pids get reused).
          // (Redis and Postgres rewrite their process titles, so match the program name loosely.)
          const running = isAlive(s.pid) && cmdline(s.pid).join(' ').includes(basename(s.exe));
          if (!running) return;
          const result = await stopProcess(s.pid, kindOf(s.name));
          log(`stop      ${s.name} (pid ${s.pid}): ${result}`);
        }),
    );
  }
  clearState(
    dataDir,
    services.map((s) => s.name),
  );
  log(`stop      cluster in ${dataDir} stopped`);
  return true;
}
