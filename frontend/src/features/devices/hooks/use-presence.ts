import { useEffect } from 'react';
import { cobalt } from '../../../lib/cobalt';
import { useObservable } from '../../../lib/store';

/** Ids of the sessions online now (across every instance), kept current while mounted; null while unknown. */
export function usePresence(): ReadonlySet<string> | null {
  useEffect(() => cobalt.sessions.watchPresence(), []);
  return useObservable(cobalt.sessions.presence);
}
