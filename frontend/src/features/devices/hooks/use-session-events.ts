import { useEffect, useRef } from 'react';
import { useLiveConnection } from '../../../lib/live-connection-context';

/** Calls `onChange` when a session of the user starts or ends anywhere, and after a reconnect. */
export function useSessionEvents(onChange: () => void): void {
  const { socket } = useLiveConnection();
  const latest = useRef(onChange);
  latest.current = onChange;

  useEffect(() => {
    const handler = () => latest.current();
    socket.on('session:created', handler);
    socket.on('session:revoked', handler);
    socket.io.on('reconnect', handler);
    return () => {
      socket.off('session:created', handler);
      socket.off('session:revoked', handler);
      socket.io.off('reconnect', handler);
    };
  }, [socket]);
}
