// Is a service ready? Each probe resolves true or false, never throws.
import http from 'node:http';
import net from 'node:net';

export function httpStatus(url, timeoutMs = 1500) {
  return new Promise((res) => {
    const req = http.get(url, { timeout: timeoutMs, headers: { connection: 'close' } }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => res(0));
  });
}

/** Connect, optionally send `payload`, resolve true when `accept(buffer)` says so (false on error/timeout). */
/** @param {number} port @param {string | Buffer | undefined} payload @param {(received: Buffer) => boolean} [accept] @param {number} [timeoutMs] */
function tcpProbe(port, payload, accept = () => true, timeoutMs = 1500) {
  return new Promise((res) => {
    let buf = Buffer.alloc(0);
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      sock.destroy();
      res(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('close', () => done(false)); // no-op when already settled
    sock.on('connect', () => (payload ? sock.write(payload) : done(true)));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (accept(buf)) done(true);
    });
  });
}

export const redisPing = (port) => tcpProbe(port, 'PING\r\n', (b) => b.toString().startsWith('+PONG'));

/** MongoDB wire `{ ping: 1 }` as one OP_MSG; ready when the reply carries `ok: 1.0`. */
export function mongoPing(port) {
  const cstr = (s) => Buffer.from(`${s}\0`);
  const int32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return b;
  };
  const body = Buffer.concat([Buffer.from([0x10]), cstr('ping'), int32(1), Buffer.from([0x02]), cstr('$db'), int32(6), cstr('admin'), Buffer.from([0])]);
  const doc = Buffer.concat([int32(body.length + 4), body]);
  const msg = Buffer.concat([int32(0), Buffer.from([0]), doc]); // flagBits, then section kind 0 (body)
  const header = Buffer.concat([int32(16 + msg.length), int32(1), int32(0), int32(2013)]);
  const okDouble = Buffer.from([0x01, 0x6f, 0x6b, 0x00, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  return tcpProbe(port, Buffer.concat([header, msg]), (b) => b.length >= 16 && b.length >= b.readInt32LE(0) && b.includes(okDouble));
}
