import { session } from '../../../lib/session';

/** Ends this device's session on the server (which clears the refresh cookie), then here. */
export function signOut(): Promise<void> {
  return session.signOut();
}
