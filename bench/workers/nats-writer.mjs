// The peer's writer: publishes to each user's subject over one NATS TCP connection, on the same
// schedule and with the same titles as the Cobalt writers. A final PING/PONG confirms the server
// has processed every publish before the writer reports them as sent.
import net from 'node:net';
import { writeTitle } from '../lib/deliveries.mjs';
import { nowUs, openLoop, serve } from '../lib/serve.mjs';

function connect(port, token) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.setNoDelay(true);
    let buffer = '';
    const pongs = [];
    sock.on('data', (d) => {
      buffer += d.toString('latin1');
      let eol;
      while ((eol = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        if (line.startsWith('INFO ')) {
          sock.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, protocol: 1, auth_token: token })}\r\nPING\r\n`);
        } else if (line === 'PING') sock.write('PONG\r\n');
        else if (line === 'PONG') pongs.shift()?.();
        else if (line.startsWith('-ERR')) reject(new Error(line));
      }
    });
    sock.on('error', reject);
    pongs.push(() =>
      resolve({
        publish: (subject, payload) => sock.write(`PUB ${subject} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`),
        flush: () =>
          new Promise((res) => {
            pongs.push(res);
            sock.write('PING\r\n');
          }),
        close: () => sock.destroy(),
      }),
    );
  });
}

serve({
  async write({ port, token, run, rate, durationMs, users, writerId = 'n' }) {
    const client = await connect(port, token);
    const acked = [];
    const { sent, worstLagMs } = await openLoop(rate, durationMs, (n) => {
      const user = users[n % users.length];
      const nonce = `${writerId}.${n}`;
      client.publish(`u.${user}`, writeTitle({ run, user, channel: 'n', nonce, tUs: nowUs() }));
      acked.push([user, nonce]);
    });
    await client.flush();
    client.close();
    return { acked, errors: {}, ackMs: [], worstLagMs, sent };
  },
});
