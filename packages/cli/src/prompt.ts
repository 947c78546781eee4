import { createInterface } from 'node:readline';
import type { Io } from './context.js';

/**
 * Asks one question on the terminal. A hidden answer (a password) is read in raw mode so it is
 * never echoed; Ctrl-C aborts.
 */
export function prompt(io: Io, question: string, { hidden = false } = {}): Promise<string> {
  if (!hidden || !io.stdin.setRawMode) {
    const rl = createInterface({ input: io.stdin, output: io.stderr });
    return new Promise((resolve) =>
      rl.question(question, (answer) => {
        rl.close();
        resolve(answer.trim());
      }),
    );
  }
  const stdin = io.stdin;
  io.stderr.write(question);
  stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let answer = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\u0003') {
          finish();
          reject(new Error('Cancelled'));
          return;
        }
        if (char === '\r' || char === '\n') {
          finish();
          resolve(answer);
          return;
        }
        if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1);
        else answer += char;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
