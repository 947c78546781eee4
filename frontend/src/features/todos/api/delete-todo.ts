import { gql, type ApolloClient, type TypedDocumentNode } from '@apollo/client';
import type { DeleteTodoInput } from '@cobalt/contract';

const DELETE_TODO: TypedDocumentNode<{ deleteTodo: boolean }, DeleteTodoInput> = gql`
  mutation DeleteTodo($id: ID!, $clientMutationId: String) {
    deleteTodo(id: $id, clientMutationId: $clientMutationId)
  }
`;

export async function deleteTodo(client: ApolloClient, input: DeleteTodoInput): Promise<void> {
  await client.mutate({ mutation: DELETE_TODO, variables: input, fetchPolicy: 'no-cache' });
}
