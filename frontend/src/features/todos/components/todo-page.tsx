import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card, Page } from '../../../components/ui/page';
import { useTodoList, useTodoStore } from '../hooks/use-todo-store';
import { filterTodos, type TodoFilter } from '../stores/todo-store';
import { NewTodoForm } from './new-todo-form';
import { TodoFilters } from './todo-filters';
import { TodoItem } from './todo-item';
import styles from './todo-page.module.css';

const EMPTY: Record<TodoFilter, { title: string; text: string }> = {
  all: { title: 'Nothing to do yet', text: 'Add your first todo above. It appears on your other devices the moment you add it.' },
  active: { title: 'All done', text: 'Every todo is completed. Enjoy the quiet.' },
  completed: { title: 'Nothing completed yet', text: 'Todos you tick off show up here.' },
};

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function TodoPage({ filter }: { filter: TodoFilter }) {
  const store = useTodoStore();
  const { phase, items, pendingCount } = useTodoList();
  const visible = filterTodos(items, filter);
  const active = items.filter((item) => !item.completed).length;
  const completed = items.length - active;

  return (
    <Page title="Todos" aside={phase === 'ready' && items.length > 0 ? `${completed} of ${items.length} done` : null}>
      <Card aria-label="Todo list">
        <NewTodoForm onAdd={(title) => store.add(title)} />

        <div className={styles.toolbar}>
          <TodoFilters counts={{ all: items.length, active, completed }} />
        </div>

        {pendingCount > 0 && (
          <p className={styles.pending} role="status" data-testid="pending-changes">
            {plural(pendingCount, 'change', 'changes')} not synced yet. {pendingCount === 1 ? 'It goes' : 'They go'} out as soon as the connection is back.
          </p>
        )}

        {phase === 'unavailable' && (
          <div className={styles.notice}>
            <Alert tone="error">Your todos could not be loaded. They will appear as soon as the connection is back.</Alert>
          </div>
        )}

        {phase === 'loading' ? (
          <ul className={styles.list} aria-busy="true" aria-label="Loading todos">
            {[0, 1, 2].map((row) => (
              <li key={row} className={styles.skeleton} />
            ))}
          </ul>
        ) : visible.length > 0 ? (
          <ul className={styles.list} aria-label={`${filter === 'all' ? 'All' : filter === 'active' ? 'Active' : 'Completed'} todos`}>
            {visible.map((item) => (
              <TodoItem
                key={item.id}
                item={item}
                onToggle={(id) => void store.toggle(id)}
                onRename={(id, title) => void store.rename(id, title)}
                onRemove={(id) => void store.remove(id)}
              />
            ))}
          </ul>
        ) : (
          phase === 'ready' && (
            <div className={styles.empty}>
              <p className={styles.emptyTitle}>{EMPTY[filter].title}</p>
              <p className={styles.emptyText}>{EMPTY[filter].text}</p>
            </div>
          )
        )}

        <footer className={styles.footer}>
          <span className={styles.left} data-testid="items-left">
            {plural(active, 'item left', 'items left')}
          </span>
          <Button variant="ghost" size="sm" onClick={() => void store.clearCompleted()} disabled={completed === 0}>
            Clear completed{completed > 0 ? ` (${completed})` : ''}
          </Button>
        </footer>
      </Card>
    </Page>
  );
}
