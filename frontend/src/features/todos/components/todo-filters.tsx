import { NavLink } from 'react-router';
import type { TodoFilter } from '../stores/todo-store';
import styles from './todo-filters.module.css';

export const FILTER_PATHS: Record<TodoFilter, string> = { all: '/', active: '/active', completed: '/completed' };
const LABELS: Record<TodoFilter, string> = { all: 'All', active: 'Active', completed: 'Completed' };

/** Filters are links, so each view has its own address and the back button works. */
export function TodoFilters({ counts }: { counts: Record<TodoFilter, number> }) {
  return (
    <nav aria-label="Filter todos" className={styles.filters}>
      {(Object.keys(FILTER_PATHS) as TodoFilter[]).map((filter) => (
        <NavLink key={filter} to={FILTER_PATHS[filter]} end className={({ isActive }) => `${styles.filter} ${isActive ? styles.active : ''}`}>
          {LABELS[filter]}
          <span className={styles.count}>{counts[filter]}</span>
        </NavLink>
      ))}
    </nav>
  );
}
