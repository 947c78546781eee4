import type { ConnectionStatus, TodoItem } from '@cobalt/client';

/** How many characters of an id the list shows; any unique start of an id is accepted back. */
export const SHORT_ID = 7;

const shortId = (id: string) => id.slice(0, SHORT_ID);

/** One todo per line: box, title, short id, and a mark while a change to it is unsent. */
export function renderList(items: readonly TodoItem[]): string[] {
  if (items.length === 0) return ['Nothing to do yet.'];
  return items.map((item) => `${item.completed ? '[x]' : '[ ]'} ${shortId(item.id)}  ${item.title}${item.pending ? '  (not sent yet)' : ''}`);
}

export function renderSummary(items: readonly TodoItem[], pendingCount: number): string {
  const left = items.filter((item) => !item.completed).length;
  const parts = [`${left} of ${items.length} left`];
  if (pendingCount > 0) parts.push(`${pendingCount} ${pendingCount === 1 ? 'change' : 'changes'} not sent yet`);
  return parts.join(' · ');
}

export function renderStatus(status: ConnectionStatus): string {
  switch (status.state) {
    case 'connected':
      return `connected to ${status.instanceId}`;
    case 'connecting':
      return 'connecting…';
    case 'reconnecting':
      return 'reconnecting…';
    case 'offline':
      return 'offline';
    case 'stopped':
      return 'not connected';
  }
}

/** The JSON form of an item (what `--json` prints). */
export const toJson = (item: TodoItem) => ({ ...item });
