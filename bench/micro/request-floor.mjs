#!/usr/bin/env node
// What the runtime alone costs per request on this machine, at the rates one backend sees in the
// fan-out: a bare Node HTTP server (no framework, no store) answering a fixed body, and the same
// server making one, then three, Redis round trips per request (a private redis-server). Requests
// come at a fixed rate from this process; the server's CPU (from /proc) is divided by the requests.
// It is the floor under a backend's CPU per request: what waking up for each request and each
// round trip costs here, before any of Cobalt's own work.
//
//   node bench/micro/request-floor.mjs [seconds per step, default 8]
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { Redis } from 'ioredis';
import { markdownTable } from '../lib/stats.mjs';

const seconds = Number(process.argv[2] ?? 8);
const RATES = [70, 200, 1000];
const ROUND_TRIPS = [0, 1, 3];

if (process.argv[2] === 'server') {
  const redis = process.env.REDIS_PORT ? new Redis(Number(process.env.REDIS_PORT), { enableAutoPipelining: false }) : null;
  const trips = Number(process.env.TRIPS);
  const answer = async (res) => {
    for (let i = 0; i < trips; i++) await redis?.get('floor');
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  };
  const server = http.createServer((_req, res) => void answer(res));
  server.listen(0, '127.0.0.1', () => process.send?.(/** @type {import('node:net').AddressInfo} */ (server.address()).port));
} else {
  const ticks = (pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  const freePort = () =>
    new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
        s.close(() => resolve(port));
      });
    });
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 500));

  async function step(trips, rate) {
    const child = fork(new URL(import.meta.url).pathname, ['server'], { env: { ...process.env, TRIPS: String(trips), REDIS_PORT: String(redisPort) } });
    const port = await new Promise((resolve) => child.once('message', resolve));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const get = () =>
      new Promise((resolve) => {
        const req = http.get({ agent, host: '127.0.0.1', port, path: '/' }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', resolve);
      });
    const run = async (n) => {
      const t0 = performance.now();
      const jobs = [];
      for (let i = 0; i < n; i++) {
        const wait = t0 + (i * 1000) / rate - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        jobs.push(get());
      }
      await Promise.all(jobs);
    };
    await run(Math.min(rate * 2, 1000)); // warm-up
    const n = Math.round(rate * seconds);
    const before = ticks(child.pid);
    await run(n);
    const cpuMs = ((ticks(child.pid) - before) * 1000) / n;
    agent.destroy();
    child.kill();
    return cpuMs;
  }

  const rows = [];
  for (const trips of ROUND_TRIPS) {
    const cells = [];
    for (const rate of RATES) cells.push(`${(await step(trips, rate)).toFixed(2)} ms`);
    rows.push([trips === 0 ? 'bare HTTP server' : `+ ${trips} Redis round trip${trips > 1 ? 's' : ''} per request`, ...cells]);
  }
  redis.kill();
  console.log(markdownTable(['server CPU per request', ...RATES.map((r) => `${r} req/s`)], rows));
}
