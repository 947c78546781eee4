import { useQuery } from '@apollo/client/react';
import type { User } from '@cobalt/contract';
import { graphql } from '../../../lib/graphql/generated';

export const MeDocument = graphql(`
  query SignedInUser {
    me {
      id
      name
      email
    }
  }
`);

/** The signed-in user as the server has it now (GraphQL); until it answers, or offline, `known` (what the SDK kept). */
export function useMe(known: User | null): User | null {
  const { data } = useQuery(MeDocument, { skip: known === null, fetchPolicy: 'cache-and-network' });
  return data?.me ?? known;
}
