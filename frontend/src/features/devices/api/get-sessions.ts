import { gql, type TypedDocumentNode } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import type { Session } from '@cobalt/contract';

export const SESSIONS_QUERY: TypedDocumentNode<{ sessions: Session[] }, Record<string, never>> = gql`
  query Sessions {
    sessions {
      id
      device
      createdAt
      lastSeenAt
      current
    }
  }
`;

/** The user's active sessions, oldest first; `current` marks this device's. */
export function useSessions() {
  return useQuery(SESSIONS_QUERY, { fetchPolicy: 'cache-and-network' });
}
