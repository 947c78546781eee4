// The system packages the cluster and its tests need, from apt.
import { aptCommands, aptInstall } from '../lib/apt.mjs';
import { findPostgresBin, which } from '../lib/executables.mjs';

/** Which apt packages are missing, as [{ pkg, why }]. */
export function detectMissingApt() {
  const missing = [];
  if (!findPostgresBin()) missing.push({ pkg: 'postgresql', why: 'initdb/postgres under /usr/lib/postgresql/*/bin' });
  if (!which('redis-server')) missing.push({ pkg: 'redis-server', why: 'redis-server' });
  if (!which('caddy')) missing.push({ pkg: 'caddy', why: 'caddy' });
  if (!which('prometheus') || !which('promtool')) missing.push({ pkg: 'prometheus', why: 'prometheus + promtool' });
  if (!which('chromium')) missing.push({ pkg: 'chromium', why: 'chromium (browser tests)' });
  return missing;
}

/** Setup step: installs whatever detectMissingApt() reports. */
export function installSystemPackages({ dry, step, actions }) {
  const missing = detectMissingApt();
  if (missing.length === 0) {
    step('apt', 'ok (postgresql, redis-server, caddy, prometheus, chromium present)');
    return;
  }
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const commands = aptCommands(pkgs).map((argv) => argv.join(' '));
  actions.push(...commands);
  if (dry) {
    step('apt', `missing: ${missing.map((m) => m.why).join(', ')}; would run: ${commands.join(' && ')}`);
    return;
  }
  step('apt', `installing ${pkgs.join(' ')}`);
  aptInstall(pkgs);
  const still = detectMissingApt();
  if (still.length) throw new Error(`apt-get install finished but still missing: ${still.map((m) => m.why).join(', ')}`);
}
