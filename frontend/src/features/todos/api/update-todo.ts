import { gql, type ApolloClient, type TypedDocumentNode } from '@apollo/client';
import type { Todo, UpdateTodoInput } from '@cobalt/contract';
import { ApiError } from '../../../lib/api-error';
import { TODO_FIELDS } from './todo-fields';

const UPDATE_TODO: TypedDocumentNode<{ updateTodo: Todo }, UpdateTodoInput> = gql`
  mutation UpdateTodo($id: ID!, $title: String, $completed: Boolean, $clientMutationId: String) {
    updateTodo(id: $id, title: $title, completed: $completed, clientMutationId: $clientMutationId) {
      ...TodoFields
    }
  }
  ${TODO_FIELDS}
`;

export async function updateTodo(client: ApolloClient, input: UpdateTodoInput): Promise<Todo> {
  const result = await client.mutate({ mutation: UPDATE_TODO, variables: input, fetchPolicy: 'no-cache' });
  if (!result.data) throw new ApiError('BAD_RESPONSE', 'No todo in the answer');
  return result.data.updateTodo;
}
