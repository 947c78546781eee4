import type { RecordingSocket } from './sockets.js';

let nextAckId = 900_000;

/**
 * Sends a Socket.IO event whose JSON is written by hand (`rawArgs` is the JSON text of the
 * arguments after the event name), as a hostile client would: the client library never builds it,
 * so payloads it cannot encode (nested 5,000 deep, say) still reach the server. Resolves with the
 * ack's argument, or 'no answer' after `timeoutMs`.
 */
export function emitRawWithAck(client: RecordingSocket, event: string, rawArgs: string, timeoutMs = 5000): Promise<unknown> {
  const engine = client.socket.io.engine;
  const id = nextAckId++;
  return new Promise((resolve) => {
    const onData = (data: unknown) => {
      // An ACK packet of the main namespace: "3" + id + JSON array of the ack's arguments.
      if (typeof data !== 'string' || !data.startsWith(`3${id}[`)) return;
      done((JSON.parse(data.slice(`3${id}`.length)) as unknown[])[0]);
    };
    const timer = setTimeout(() => done('no answer'), timeoutMs);
    function done(result: unknown) {
      clearTimeout(timer);
      engine.off('data', onData);
      resolve(result);
    }
    engine.on('data', onData);
    engine.write(`2${id}[${JSON.stringify(event)}${rawArgs ? `,${rawArgs}` : ''}]`);
  });
}

/** JSON text of `value` nested inside `depth` arrays. */
export const nestedJson = (depth: number, value = '"x"') => '['.repeat(depth) + value + ']'.repeat(depth);
