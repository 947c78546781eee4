// The system packages the cluster (and, when asked for, the browser tests) need, from apt.
import { readFileSync } from 'node:fs';
import { aptCommands, aptInstall } from '../lib/apt.mjs';
import { findChromium, findPostgresBin, which } from '../lib/executables.mjs';

/** ID and ID_LIKE of /etc/os-release, as one list ('ubuntu', 'debian', ...). */
function distribution(file = '/etc/os-release') {
  try {
    const text = readFileSync(file, 'utf8');
    return ['ID', 'ID_LIKE'].flatMap((key) => (new RegExp(`^${key}="?([^"\\n]*)`, 'm').exec(text)?.[1] ?? '').split(/\s+/)).filter(Boolean);
  } catch {
    return [];
  }
}

/** The apt package that brings Chromium: `chromium` on Debian, `chromium-browser` on Ubuntu (which installs the snap). */
export function chromiumPackage(distro = distribution()) {
  return distro.includes('ubuntu') ? 'chromium-browser' : 'chromium';
}

/** Which apt packages are missing, as [{ pkg, why }]. `browser`: Chromium too (only the browser tests need it). */
export function detectMissingApt({ browser = false } = {}) {
  const missing = [];
  if (!findPostgresBin()) missing.push({ pkg: 'postgresql', why: 'initdb/postgres under /usr/lib/postgresql/*/bin' });
  if (!which('redis-server')) missing.push({ pkg: 'redis-server', why: 'redis-server' });
  if (!which('caddy')) missing.push({ pkg: 'caddy', why: 'caddy' });
  if (!which('prometheus') || !which('promtool')) missing.push({ pkg: 'prometheus', why: 'prometheus + promtool' });
  if (browser && !findChromium()) missing.push({ pkg: chromiumPackage(), why: 'Chromium (browser tests)' });
  return missing;
}

/** Setup step: installs whatever detectMissingApt() reports. */
export function installSystemPackages({ browser, dry, step, actions }) {
  const present = `postgresql, redis-server, caddy, prometheus${browser ? ', chromium' : ''}`;
  const missing = detectMissingApt({ browser });
  if (missing.length === 0) {
    step('apt', `ok (${present} present)`);
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
  const still = detectMissingApt({ browser });
  if (still.length) throw new Error(`apt-get install finished but still missing: ${still.map((m) => m.why).join(', ')}`);
}
