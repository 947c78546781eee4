import { join } from 'node:path';
import { redisPing } from '../probes.mjs';

/** Redis holds only transient state (Socket.IO pub/sub, rate-limit windows), so no persistence. */
export function startRedis({ sup, dataDir, ports, programs, abort }) {
  return sup.define('redis', async () => {
    const redis = sup.spawn('redis', programs.redis, [
      '--port',
      String(ports.redis),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      join(dataDir, 'redis'),
      '--daemonize',
      'no',
      '--logfile',
      '',
    ]);
    await sup.waitFor('redis', () => redisPing(ports.redis), { svc: redis, abort });
    return redis;
  });
}
