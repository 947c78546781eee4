import { AsyncLocalStorage } from 'node:async_hooks';

/** Who and what a log line belongs to; set per HTTP request, GraphQL operation and socket event. */
export interface RequestContext {
  requestId: string;
  userId?: string;
  sessionId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const runWithContext = <T>(context: RequestContext, fn: () => T): T => storage.run(context, fn);
export const currentContext = (): RequestContext | undefined => storage.getStore();

/** Attach the authenticated user to the running context so later log lines carry it. */
export function bindUserToContext(userId: string, sessionId?: string): void {
  const store = storage.getStore();
  if (store) {
    store.userId = userId;
    if (sessionId) store.sessionId = sessionId;
  }
}
