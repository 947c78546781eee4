import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';

// Queries and mutations over HTTP, subscriptions over graphql-ws on the same path. The headers
// editor's JSON goes with both: as HTTP headers, and as the WebSocket's connection_init payload,
// where the server reads `Authorization` (docs/API.md, "GraphQL subscriptions").
const url = new URL('/graphql', window.location.href).href;
const fetcher = createGraphiQLFetcher({ url, subscriptionUrl: url.replace(/^http/, 'ws') });

const defaultQuery = `# Sign in (POST /api/auth/login), put the access token in the headers below, then:
query Me {
  me { id name email }
  todos(limit: 10) { items { id title completed version } nextCursor }
}

# Live changes, after what you last saw (since):
subscription Changes {
  todoChanges(since: 0) { type seq id todo { title completed version } todos { id title } clientMutationId }
}
`;

createRoot(document.getElementById('graphiql') as HTMLElement).render(
  <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} initialHeaders={'{\n  "Authorization": "Bearer <access token>"\n}'} />,
);
