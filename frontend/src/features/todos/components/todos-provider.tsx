import { useEffect, useState, type ReactNode } from 'react';
import { cobalt } from '../../../lib/cobalt';
import { notify } from '../../../lib/notifications';
import { TodoStoreContext } from '../hooks/use-todo-store';
import { TodoStore } from '../stores/todo-store';

/** One todo store per signed-in session, over the app's Cobalt client. */
export function TodosProvider({ children }: { children: ReactNode }) {
  const [store] = useState(() => new TodoStore(cobalt, (message) => notify(message)));
  useEffect(() => () => store.dispose(), [store]);
  return <TodoStoreContext value={store}>{children}</TodoStoreContext>;
}
