import { useQuery } from '@apollo/client/react';
import type { Session } from '@cobalt/contract';
import { useCallback } from 'react';
import { graphql } from '../../../lib/graphql/generated';

export interface SessionsQuery {
  data: Session[] | null;
  error: unknown;
  loading: boolean;
  refetch: () => Promise<void>;
}

/** The user's active sessions, oldest first; `current` marks this device's. */
export const SessionsDocument = graphql(`
  query DeviceSessions {
    sessions {
      id
      device
      createdAt
      lastSeenAt
      current
    }
  }
`);

/** The user's active sessions (GraphQL), always read from the server: another device may have changed them. */
export function useSessions(): SessionsQuery {
  const { data, error, loading, refetch } = useQuery(SessionsDocument, { fetchPolicy: 'network-only', notifyOnNetworkStatusChange: true });
  const again = useCallback(async () => {
    await refetch().catch(() => undefined); // the error is in `error`
  }, [refetch]);
  return { data: data?.sessions ?? null, error: error ?? null, loading, refetch: again };
}
