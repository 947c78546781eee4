import { TodoPage } from '../../features/todos/components/todo-page';
import type { TodoFilter } from '../../features/todos/stores/todo-store';

const TITLES: Record<TodoFilter, string> = { all: 'Todos', active: 'Active todos', completed: 'Completed todos' };

export function TodosRoute({ filter }: { filter: TodoFilter }) {
  return (
    <>
      <title>{`${TITLES[filter]} · Cobalt`}</title>
      <TodoPage filter={filter} />
    </>
  );
}
