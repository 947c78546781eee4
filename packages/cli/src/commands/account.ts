import type { Context } from '../context.js';
import { CliError, EXIT } from '../errors.js';

export async function login(ctx: Context): Promise<number> {
  const { client } = ctx;
  const current = client.user;
  if (current && (!ctx.options.credentials.email || ctx.options.credentials.email.trim().toLowerCase() === current.email)) {
    reportUser(ctx, 'Already signed in');
    return EXIT.ok;
  }
  const { email, password } = await ctx.credentials();
  await client.signIn({ email, password });
  reportUser(ctx, 'Signed in');
  return EXIT.ok;
}

export async function register(ctx: Context): Promise<number> {
  const { email, password } = await ctx.credentials();
  const name = ctx.options.credentials.name ?? email.split('@')[0] ?? email;
  await ctx.client.register({ email, password, name });
  reportUser(ctx, 'Registered and signed in');
  return EXIT.ok;
}

export async function logout(ctx: Context): Promise<number> {
  const { client } = ctx;
  if (!client.user) {
    ctx.note('cobalt: not signed in.');
    return EXIT.ok;
  }
  // Unsent changes are lost with the session: try to send them first, and never drop them silently.
  await ctx.reachServer();
  const pending = client.pendingCount;
  if (pending > 0 && !ctx.options.force) {
    throw new CliError(
      `${pending === 1 ? '1 change has' : `${pending} changes have`} not reached the server yet. Run \`cobalt ls\` once it is reachable, or \`cobalt logout --force\` to discard them.`,
    );
  }
  const told = await client.signOut();
  if (ctx.options.json) ctx.json({ signedOut: true, serverTold: told });
  else ctx.out(told ? 'Signed out.' : 'Signed out on this device (the server could not be told; the session ends when it expires).');
  return EXIT.ok;
}

function reportUser(ctx: Context, what: string): void {
  const user = ctx.client.user!;
  if (ctx.options.json) ctx.json({ user, sessionId: ctx.client.sessionId, server: ctx.options.server });
  else ctx.out(`${what} as ${user.name} <${user.email}> on ${ctx.options.server}.`);
}
