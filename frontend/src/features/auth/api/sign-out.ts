import { api } from '../../../lib/api-client';
import { toApiError } from '../../../lib/api-error';
import { session } from '../../../lib/session';

/** Ends this device's session on the server (which clears the refresh cookie), then here. */
export function signOut(): Promise<void> {
  return session.signOutWith(async () => {
    try {
      await api.post('/api/auth/logout', undefined, { webClient: true });
    } catch (error) {
      // Already over on the server: nothing left to end there.
      if (toApiError(error).code !== 'UNAUTHENTICATED') throw error;
    }
  });
}
