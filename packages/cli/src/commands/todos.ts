import type { TodoItem } from '@cobalt/client';
import type { Context } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { renderList, renderSummary, SHORT_ID, toJson } from '../render.js';

/** The exit code after a command that sent changes: 1 when the server dropped or refused any. */
const outcome = (ctx: Context) => (ctx.reportDropped() ? EXIT.failed : EXIT.ok);

export async function ls(ctx: Context): Promise<number> {
  await ctx.signedIn();
  const reach = await ctx.reachServer();
  const { items, pendingCount } = ctx.client.todos.state.get();
  if (ctx.options.json) ctx.json(items.map(toJson));
  else {
    for (const line of renderList(items)) ctx.out(line);
    ctx.note(renderSummary(items, pendingCount));
  }
  ctx.notePending(reach);
  return outcome(ctx);
}

export async function add(ctx: Context): Promise<number> {
  const title = ctx.options.args.join(' ');
  if (!title.trim()) throw new CliError('Usage: cobalt add <title...>', EXIT.usage);
  await ctx.signedIn();
  const item = await ctx.client.todos.create(title);
  const reach = await ctx.reachServer();
  const now = ctx.client.todos.get(item.id) ?? item;
  if (ctx.options.json) ctx.json(toJson(now));
  else ctx.out(`Added “${now.title}” (${now.id.slice(0, SHORT_ID)}).`);
  ctx.notePending(reach);
  return outcome(ctx);
}

export async function done(ctx: Context): Promise<number> {
  const item = await target(ctx);
  if (!item.completed) await ctx.client.todos.update(item.id, { completed: true });
  const reach = await ctx.reachServer();
  const now = ctx.client.todos.get(item.id);
  if (ctx.options.json) ctx.json(now ? toJson(now) : { id: item.id, deleted: true });
  else if (now) ctx.out(item.completed ? `“${item.title}” was already done.` : `Done: “${now.title}”.`);
  ctx.notePending(reach);
  return outcome(ctx);
}

export async function rm(ctx: Context): Promise<number> {
  const item = await target(ctx);
  await ctx.client.todos.remove(item.id);
  const reach = await ctx.reachServer();
  if (ctx.options.json) ctx.json({ id: item.id, deleted: true });
  else ctx.out(`Deleted “${item.title}”.`);
  ctx.notePending(reach);
  return outcome(ctx);
}

/** The todo an id argument names: the whole id, or a start of one that only one todo has. */
async function target(ctx: Context): Promise<TodoItem> {
  const [given, ...rest] = ctx.options.args;
  if (!given || rest.length > 0) throw new CliError(`Usage: cobalt ${ctx.options.command} <id>`, EXIT.usage);
  await ctx.signedIn();
  // Know the latest list first (ids made elsewhere), unless the server is unreachable.
  const reach = await ctx.reachServer();
  const needle = given.toLowerCase();
  const matches = ctx.client.todos.list().filter((item) => item.id.startsWith(needle));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError(`No todo with an id starting "${given}"${reach === 'synced' ? '' : ' (in the list as of the last sync)'}. See \`cobalt ls\`.`);
  throw new CliError(`"${given}" starts ${matches.length} ids; give more of it: ${matches.map((m) => m.id.slice(0, SHORT_ID + 2)).join(', ')}`, EXIT.usage);
}
