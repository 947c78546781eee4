import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../lib/root.mjs';
import { httpStatus } from '../probes.mjs';

/** The docker-compose Prometheus config with each `backend-N:3000` target pointed at the local port. */
export function renderPrometheusConfig(backendPorts, root = ROOT) {
  const source = readFileSync(join(root, 'prometheus', 'prometheus.yml'), 'utf8');
  // The rendered file lives in the data dir: point its rule files back at the repository.
  const withRules = source.replace(/^(\s*-\s*)rules\//gm, `$1${join(root, 'prometheus', 'rules')}/`);
  return withRules.replace(/\bbackend-(\d+):3000\b/g, (_, n) => {
    const port = backendPorts[Number(n) - 1];
    if (port === undefined) throw new Error(`prometheus/prometheus.yml targets backend-${n} but only ${backendPorts.length} backend ports are configured`);
    return `127.0.0.1:${port}`;
  });
}

/** Prometheus scraping each backend's own /metrics. */
export function startPrometheus({ sup, root, dataDir, ports, urls, programs, abort }) {
  const config = join(dataDir, 'prometheus.yml');
  writeFileSync(config, renderPrometheusConfig(ports.backends, root));
  return sup.define('prometheus', async () => {
    const prometheus = sup.spawn('prometheus', programs.prometheus, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dataDir, 'prometheus')}`,
      '--storage.tsdb.retention.time=7d',
      `--web.listen-address=127.0.0.1:${ports.prometheus}`,
    ]);
    await sup.waitFor('prometheus', async () => (await httpStatus(`${urls.prometheus}/-/ready`)) === 200, { svc: prometheus, abort });
    return prometheus;
  });
}
