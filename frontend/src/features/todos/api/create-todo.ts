import { gql, type ApolloClient, type TypedDocumentNode } from '@apollo/client';
import { TITLE_MAX_LENGTH, type Todo } from '@cobalt/contract';
import { z } from 'zod';
import { ApiError } from '../../../lib/api-error';
import { TODO_FIELDS } from './todo-fields';

/** The same rule the server applies: trimmed, 1 to TITLE_MAX_LENGTH characters. */
export const todoTitleSchema = z
  .string()
  .trim()
  .min(1, 'Write something to do first.')
  .max(TITLE_MAX_LENGTH, `A todo can be at most ${TITLE_MAX_LENGTH} characters.`);

export const createTodoInputSchema = z.object({ title: todoTitleSchema, clientMutationId: z.string().optional() });
export type CreateTodoInput = z.infer<typeof createTodoInputSchema>;

const CREATE_TODO: TypedDocumentNode<{ createTodo: Todo }, CreateTodoInput> = gql`
  mutation CreateTodo($title: String!, $clientMutationId: String) {
    createTodo(title: $title, clientMutationId: $clientMutationId) {
      ...TodoFields
    }
  }
  ${TODO_FIELDS}
`;

export async function createTodo(client: ApolloClient, input: CreateTodoInput): Promise<Todo> {
  const result = await client.mutate({ mutation: CREATE_TODO, variables: createTodoInputSchema.parse(input), fetchPolicy: 'no-cache' });
  if (!result.data) throw new ApiError('BAD_RESPONSE', 'No todo in the answer');
  return result.data.createTodo;
}
