import { readFileSync } from 'node:fs';
import { add, done, ls, rm } from './commands/todos.js';
import { login, logout, register } from './commands/account.js';
import { watch } from './commands/watch.js';
import { Context, describe, type Io } from './context.js';
import { EXIT } from './errors.js';
import { readOptions, USAGE } from './options.js';

const COMMANDS: Record<string, (ctx: Context) => Promise<number>> = { login, register, logout, ls, add, done, rm, watch };

/** Runs one command line and answers its exit code; every failure is one line on stderr. */
export async function run(argv: string[], io: Io): Promise<number> {
  let ctx: Context | null = null;
  try {
    const options = readOptions(argv, io.env);
    if (options === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (options === 'version') {
      const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
      io.stdout.write(`cobalt ${version}\n`);
      return EXIT.ok;
    }
    ctx = new Context(options, io);
    await ctx.client.start();
    return await COMMANDS[options.command]!(ctx);
  } catch (error) {
    const failure = describe(error);
    io.stderr.write(`cobalt: ${failure.message}\n`);
    return failure.exit;
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}
