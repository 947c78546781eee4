import { session, type SessionState } from '../../../lib/session';
import { useStore } from '../../../lib/store';

export function useSession(): SessionState {
  return useStore(session.state);
}
