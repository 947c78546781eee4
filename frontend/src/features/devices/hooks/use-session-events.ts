import { useEffect, useRef } from 'react';
import { cobalt } from '../../../lib/cobalt';

/** Calls `onChange` when a session of the user starts or ends anywhere, and after a reconnect. */
export function useSessionEvents(onChange: () => void): void {
  const latest = useRef(onChange);
  // Kept current after each render (a ref is not written during render); runs before the effect below.
  useEffect(() => {
    latest.current = onChange;
  });

  useEffect(() => {
    const offEvents = cobalt.connection.events.on('event', (event) => {
      if (event.name === 'session:created' || event.name === 'session:revoked') latest.current();
    });
    const offReady = cobalt.connection.events.on('ready', () => latest.current());
    return () => {
      offEvents();
      offReady();
    };
  }, []);
}
