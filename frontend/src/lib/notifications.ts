import { createStore } from './store';

export interface Notification {
  id: number;
  tone: 'error' | 'info';
  message: string;
}

const MAX_SHOWN = 3;
/** Confirmations fade on their own; errors stay until dismissed, so nobody has to read fast. */
const INFO_VISIBLE_MS = 6_000;
let nextId = 1;

/** Messages for people that outlive the component that raised them (a refused change, a lost connection). */
export const notifications = createStore<readonly Notification[]>([]);

export function notify(message: string, tone: Notification['tone'] = 'error'): number {
  const id = nextId++;
  notifications.set((list) => [...list.filter((n) => n.message !== message), { id, tone, message }].slice(-MAX_SHOWN));
  if (tone === 'info') setTimeout(() => dismissNotification(id), INFO_VISIBLE_MS);
  return id;
}

export function dismissNotification(id: number): void {
  notifications.set((list) => list.filter((n) => n.id !== id));
}

export function clearNotifications(): void {
  notifications.set([]);
}
