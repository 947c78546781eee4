import { cobalt } from '../../../lib/cobalt';

/** Ends one of the user's sessions: its tokens stop working and its sockets are closed at once (this device's too). */
export function revokeSession(sessionId: string): Promise<void> {
  return cobalt.sessions.revoke(sessionId);
}
