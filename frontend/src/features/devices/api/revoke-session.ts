import { api } from '../../../lib/api-client';

/** Ends one of the user's sessions: its tokens stop working and its sockets are closed at once. */
export function revokeSession(sessionId: string): Promise<void> {
  return api.delete(`/api/sessions/${encodeURIComponent(sessionId)}`);
}
