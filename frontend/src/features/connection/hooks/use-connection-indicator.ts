import { useConnectionStatus, type ConnectionStatus } from '../../../lib/connection';

export interface ConnectionIndicator {
  tone: 'live' | 'pending' | 'offline' | 'off';
  /** The full sentence, for everyone. */
  label: string;
  /** A shorter form for narrow screens. */
  short: string;
  instanceId: string | null;
}

export function describeConnection(status: ConnectionStatus): ConnectionIndicator {
  switch (status.state) {
    case 'connected':
      return { tone: 'live', label: `Connected to ${status.instanceId}`, short: status.instanceId, instanceId: status.instanceId };
    case 'connecting':
      return { tone: 'pending', label: 'Connecting…', short: 'Connecting…', instanceId: null };
    case 'reconnecting':
      return { tone: 'pending', label: 'Reconnecting…', short: 'Reconnecting…', instanceId: null };
    case 'offline':
      return { tone: 'offline', label: 'Offline', short: 'Offline', instanceId: null };
    case 'stopped':
      return { tone: 'off', label: 'Not connected', short: 'Not connected', instanceId: null };
  }
}

export function useConnectionIndicator(): ConnectionIndicator {
  return describeConnection(useConnectionStatus());
}
