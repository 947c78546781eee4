import { createContext, useContext } from 'react';
import { useStore } from '../../../lib/store';
import type { TodoListState, TodoStore } from '../stores/todo-store';

export const TodoStoreContext = createContext<TodoStore | null>(null);

export function useTodoStore(): TodoStore {
  const store = useContext(TodoStoreContext);
  if (!store) throw new Error('useTodoStore must be used inside <TodosProvider>');
  return store;
}

export function useTodoList(): TodoListState {
  return useStore(useTodoStore().state);
}
