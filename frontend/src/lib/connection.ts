import type { ConnectionStatus } from '@cobalt/client';
import { cobalt } from './cobalt';
import { useObservable } from './store';

export type { ConnectionStatus };

/** Where the live connection stands (the SDK runs it while signed in). */
export function useConnectionStatus(): ConnectionStatus {
  return useObservable(cobalt.connection.status);
}
