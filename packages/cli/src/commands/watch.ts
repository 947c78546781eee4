import type { Context } from '../context.js';
import { EXIT } from '../errors.js';
import { renderList, renderStatus, renderSummary, toJson } from '../render.js';

const CLEAR = '\u001b[2J\u001b[H';

/**
 * A live list: drawn again whenever the list or the connection changes, until Ctrl-C (or SIGTERM).
 * On a terminal it redraws in place; otherwise (a pipe, a test) it prints each state in turn, and
 * with --json one JSON line per state.
 */
export async function watch(ctx: Context): Promise<number> {
  await ctx.signedIn();
  const { client } = ctx;
  const tty = ctx.io.stdout.isTTY === true;
  let last = '';
  const draw = () => {
    const { items, pendingCount, synced } = client.todos.state.get();
    const status = client.connection.status.get();
    if (ctx.options.json) {
      const line = JSON.stringify({
        status: status.state,
        ...(status.state === 'connected' ? { instanceId: status.instanceId } : {}),
        synced,
        pendingCount,
        items: items.map(toJson),
      });
      if (line !== last) ctx.io.stdout.write(`${line}\n`);
      last = line;
      return;
    }
    const frame = [`Cobalt · ${ctx.options.server} · ${renderStatus(status)}`, ...renderList(items), renderSummary(items, pendingCount), ''].join('\n');
    if (frame === last) return;
    last = frame;
    ctx.io.stdout.write(tty ? `${CLEAR}${frame}` : `${frame}\n`);
  };
  const offs = [client.todos.subscribe(draw), client.connection.status.subscribe(draw)];
  draw();
  const code = await new Promise<number>((resolve) => {
    const stop = () => resolve(EXIT.ok);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    offs.push(client.authState.subscribe((state) => state.status === 'signed-out' && resolve(EXIT.signedOut)));
  });
  for (const off of offs) off();
  if (code === EXIT.signedOut) ctx.note('cobalt: the session ended (signed out from another device?). Run `cobalt login`.');
  return code;
}
