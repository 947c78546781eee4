import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { env } from '../config/env';
import { cobalt } from './cobalt';

/**
 * The app's GraphQL client, for reads that are not todos (the todos live in the SDK's replica):
 * the signed-in user and the devices page. Each request carries a fresh access token from the
 * SDK, which refreshes it when due; the documents are typed from backend/schema.graphql
 * (src/lib/graphql/generated, by GraphQL Code Generator).
 */
const withToken = new SetContextLink(async (previous) => ({
  headers: { ...(previous.headers as Record<string, string> | undefined), authorization: `Bearer ${await cobalt.accessToken()}` },
}));

/** One per signed-in session (app/signed-in-area.tsx), so no answer outlives the session it was for. */
export function createApolloClient(): ApolloClient {
  return new ApolloClient({
    link: withToken.concat(new HttpLink({ uri: `${env.VITE_API_URL}/graphql` })),
    cache: new InMemoryCache(),
  });
}
