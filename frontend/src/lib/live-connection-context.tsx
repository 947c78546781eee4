import { createContext, useContext, useEffect, type ReactNode } from 'react';
import type { ConnectionStatus, LiveConnection } from './live-connection';
import { useStore } from './store';

const LiveConnectionContext = createContext<LiveConnection | null>(null);
const STOPPED_STATUS: ConnectionStatus = { state: 'stopped' };
const STOPPED = { getSnapshot: (): ConnectionStatus => STOPPED_STATUS, subscribe: () => () => undefined };

/** Runs `connection` while mounted and hands it to the components below. */
export function LiveConnectionProvider({ connection, children }: { connection: LiveConnection; children: ReactNode }) {
  useEffect(() => {
    connection.start();
    return () => connection.stop();
  }, [connection]);
  return <LiveConnectionContext value={connection}>{children}</LiveConnectionContext>;
}

export function useLiveConnection(): LiveConnection {
  const connection = useContext(LiveConnectionContext);
  if (!connection) throw new Error('useLiveConnection must be used inside <LiveConnectionProvider>');
  return connection;
}

/** The connection's state; `stopped` outside a signed-in area. */
export function useConnectionStatus(): ConnectionStatus {
  const connection = useContext(LiveConnectionContext);
  return useStore(connection?.status ?? STOPPED);
}
