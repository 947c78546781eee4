import { gql, type ApolloClient, type TypedDocumentNode } from '@apollo/client';
import { PAGE_LIMIT_MAX, type Todo, type TodoPage } from '@cobalt/contract';
import { ApiError } from '../../../lib/api-error';
import { TODO_FIELDS } from './todo-fields';

const TODOS_PAGE: TypedDocumentNode<{ todos: TodoPage }, { limit: number; cursor: string | null }> = gql`
  query TodosPage($limit: Int!, $cursor: String) {
    todos(limit: $limit, cursor: $cursor) {
      items {
        ...TodoFields
      }
      nextCursor
    }
  }
  ${TODO_FIELDS}
`;

/** Hard stop for a runaway cursor: 100 pages of 100 is far more than one person's list. */
const MAX_PAGES = 100;

/** All of the user's todos, page by page, in creation order. */
export async function getTodos(client: ApolloClient): Promise<Todo[]> {
  const todos: Todo[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const variables: { limit: number; cursor: string | null } = { limit: PAGE_LIMIT_MAX, cursor };
    const result: { data?: { todos: TodoPage } } = await client.query({ query: TODOS_PAGE, variables, fetchPolicy: 'no-cache' });
    const current = result.data?.todos;
    if (!current) throw new ApiError('BAD_RESPONSE', 'No todos in the answer');
    todos.push(...current.items);
    cursor = current.nextCursor;
    if (!cursor) break;
  }
  return todos;
}
