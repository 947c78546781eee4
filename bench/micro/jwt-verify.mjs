#!/usr/bin/env node
// Before/after of one change, side by side in one process: verifying an access token the way the
// backend did (the secret as a string: jsonwebtoken first tries to parse it as a PEM public key,
// which throws, then builds a secret key) and the way it does now (a KeyObject built once).
//
//   node bench/micro/jwt-verify.mjs [seconds per variant, default 3]
import { createSecretKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { markdownTable } from '../lib/stats.mjs';

const seconds = Number(process.argv[2] ?? 3);
const secret = randomBytes(48).toString('base64url');
const key = createSecretKey(Buffer.from(secret, 'utf8'));
/** @type {import('jsonwebtoken').VerifyOptions & { complete: true }} */
const options = { algorithms: ['HS256'], issuer: 'cobalt', audience: 'cobalt-api', complete: true };
const token = jwt.sign({ sid: 'session' }, key, {
  algorithm: 'HS256',
  expiresIn: 900,
  issuer: 'cobalt',
  audience: 'cobalt-api',
  subject: 'user',
  header: { alg: 'HS256', typ: 'at+jwt' },
});

const variants = {
  'string secret (before)': () => jwt.verify(token, secret, options),
  'KeyObject built once (now)': () => jwt.verify(token, key, options),
};

function rate(fn) {
  for (let i = 0; i < 2_000; i++) fn(); // warm-up
  let n = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
  }
  return n / seconds;
}

// Interleaved twice, so a drift in the machine's load weighs on both alike.
/** @type {Record<string, number[]>} */
const runs = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round < 2; round++) for (const [name, fn] of Object.entries(variants)) runs[name].push(rate(fn));
const rows = Object.entries(runs).map(([name, r]) => {
  const perSec = r.reduce((a, b) => a + b, 0) / r.length;
  return [name, Math.round(perSec).toLocaleString('en-US'), (1e6 / perSec).toFixed(1)];
});
console.log(markdownTable(['jsonwebtoken verify', 'per second (one core)', 'µs each'], rows));
