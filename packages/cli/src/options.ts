import { parseArgs } from 'node:util';
import { userConfigDirectory } from '@cobalt/client/node';
import { CliError, EXIT } from './errors.js';

export const USAGE = `Usage: cobalt <command> [options]

Commands:
  login               sign in; the session is kept in the config directory
  register            create an account (--name) and sign in
  logout              sign this device out (refuses while changes are unsent, unless --force)
  ls                  list your todos (offline: the list as of the last sync)
  add <title...>      add a todo (offline: it is sent at the next run)
  done <id>           mark a todo done (an id, or the first characters of one)
  rm <id>             delete a todo
  watch               a live list that redraws as changes arrive (Ctrl-C to stop)

Options:
  --server <url>      the Cobalt server (default $COBALT_SERVER or http://localhost:8080)
  --email <email>     sign in with this email ($COBALT_EMAIL)
  --password <pw>     and this password ($COBALT_PASSWORD); no prompt when both are given
  --name <name>       your name, for register
  --json              print JSON (ls, add, done, rm: one value; watch: one line per change)
  --config-dir <dir>  where the session and unsent changes are kept ($COBALT_CONFIG_DIR)
  --timeout <s>       how long to wait for the server before working offline (default 10)
  --force             logout even with unsent changes (they are discarded)
  -h, --help          this help
  -v, --version       the version

Exit codes: 0 done, 1 failed or refused by the server, 2 wrong usage, 3 not signed in.`;

export interface Options {
  command: string;
  args: string[];
  server: string;
  configDir: string;
  json: boolean;
  timeoutMs: number;
  force: boolean;
  credentials: { email?: string; password?: string; name?: string };
}

export const COMMANDS = ['login', 'register', 'logout', 'ls', 'add', 'done', 'rm', 'watch'] as const;

/** The command line and the environment, read once; a wrong one is a usage error (exit 2). */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv): Options | 'help' | 'version' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        email: { type: 'string' },
        password: { type: 'string' },
        name: { type: 'string' },
        json: { type: 'boolean', default: false },
        'config-dir': { type: 'string' },
        timeout: { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  const [command, ...args] = positionals;
  if (!command) throw new CliError(USAGE, EXIT.usage);
  if (!(COMMANDS as readonly string[]).includes(command)) throw new CliError(`Unknown command "${command}".\n\n${USAGE}`, EXIT.usage);

  const server = (values.server ?? env.COBALT_SERVER ?? 'http://localhost:8080').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(server);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new CliError(`--server must be an http(s) URL, got "${server}"`, EXIT.usage);
  }
  const timeout = Number(values.timeout ?? '10');
  if (!Number.isFinite(timeout) || timeout < 0) throw new CliError(`--timeout must be a number of seconds, got "${values.timeout}"`, EXIT.usage);

  return {
    command,
    args,
    server: url.origin,
    configDir: values['config-dir'] ?? env.COBALT_CONFIG_DIR ?? userConfigDirectory('cobalt', env),
    json: values.json,
    timeoutMs: timeout * 1000,
    force: values.force,
    credentials: { email: values.email ?? env.COBALT_EMAIL, password: values.password ?? env.COBALT_PASSWORD, name: values.name },
  };
}
