import { randomBytes } from 'node:crypto';

const run = randomBytes(4)
  .toString('hex')
  .replace(/(....)(....)/, '$1:$2');
let next = 0;

/**
 * A client address of its own (IPv6 documentation range, new on every run), to send as
 * X-Forwarded-For to an in-process test server, which trusts loopback proxies. Rate limits keyed
 * by address then count this caller apart: a test that hammers one limit neither spends the
 * budget the rest of the suite shares on 127.0.0.1 nor inherits what an earlier run spent.
 */
export const ownClientAddress = (): string => `2001:db8:${run}::${(++next).toString(16)}`;
