import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { apiUrl } from './http';
import { session } from './session';

/**
 * GraphQL over HTTP for reads and writes. Authentication (and the refresh on 401) comes from the
 * same authorised fetch as REST, so there is one token path; errors are normalised by
 * `toApiError` where they are caught.
 */
export function createApolloClient(): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: apiUrl('/graphql'), fetch: (input, init) => session.authorizedFetch(String(input), init ?? {}) }),
    cache: new InMemoryCache(),
    defaultOptions: {
      // Todos live in the sync replica, sessions change under our feet: always ask the server.
      query: { fetchPolicy: 'network-only' },
      watchQuery: { fetchPolicy: 'cache-and-network' },
    },
  });
}

export const apolloClient = createApolloClient();
