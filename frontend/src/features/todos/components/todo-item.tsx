import { TITLE_MAX_LENGTH } from '@cobalt/contract';
import { useId, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { IconButton } from '../../../components/ui/button';
import { CheckIcon, PencilIcon, TrashIcon } from '../../../components/ui/icons';
import { Spinner } from '../../../components/ui/spinner';
import type { TodoItem as TodoItemModel } from '../stores/todo-store';
import { NEW_TODO_INPUT_ID } from './new-todo-form';
import styles from './todo-item.module.css';

interface TodoItemProps {
  item: TodoItemModel;
  onToggle: (id: string) => void;
  onRename: (id: string, title: string) => void;
  onRemove: (id: string) => void;
}

/** Where focus goes when an item disappears: the next item, else the previous, else the input. */
function focusAfterRemoval(from: HTMLElement) {
  const row = from.closest('li');
  const neighbour = (row?.nextElementSibling ?? row?.previousElementSibling) as HTMLElement | null;
  const target = neighbour?.querySelector<HTMLElement>('[data-focus-target]') ?? document.getElementById(NEW_TODO_INPUT_ID);
  target?.focus();
}

export function TodoItem({ item, onToggle, onRename, onRemove }: TodoItemProps) {
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const hintId = useId();
  const editing = draft !== null;
  const quoted = `“${item.title}”`;

  const startEditing = () => {
    setDraft(item.title);
    setProblem(null);
  };

  const finish = (save: boolean, returnFocus: boolean) => {
    if (save && draft !== null) {
      if (!draft.trim()) {
        setProblem('A todo needs a title. Press Escape to keep the old one.');
        return;
      }
      onRename(item.id, draft);
    }
    setDraft(null);
    setProblem(null);
    if (returnFocus) requestAnimationFrame(() => editButton.current?.focus());
  };

  const onEditKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      finish(true, true);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      finish(false, true);
    }
  };

  const remove = (event: MouseEvent<HTMLButtonElement>) => {
    focusAfterRemoval(event.currentTarget);
    onRemove(item.id);
  };

  return (
    <li className={styles.item} data-completed={item.completed || undefined} data-saving={item.saving || undefined} data-testid="todo-item">
      <span className={styles.check}>
        <input type="checkbox" className={styles.checkbox} checked={item.completed} aria-label={`Mark ${quoted} as done`} onChange={() => onToggle(item.id)} data-focus-target />
        <CheckIcon size={16} className={styles.tick} strokeWidth={3} />
      </span>

      {editing ? (
        <div className={styles.editor}>
          <input
            className={styles.editInput}
            value={draft}
            maxLength={TITLE_MAX_LENGTH}
            aria-label={`Edit ${quoted}`}
            aria-describedby={hintId}
            aria-invalid={problem ? true : undefined}
            autoFocus
            onChange={(event) => {
              setDraft(event.target.value);
              if (problem) setProblem(null);
            }}
            onKeyDown={onEditKeyDown}
            onBlur={() => (draft?.trim() ? finish(true, false) : finish(false, false))}
          />
          <span id={hintId} className={problem ? styles.problem : 'sr-only'} aria-live="polite">
            {problem ?? 'Press Enter to save or Escape to cancel.'}
          </span>
        </div>
      ) : (
        <span className={styles.title} onDoubleClick={startEditing} data-testid="todo-title">
          {item.title}
        </span>
      )}

      <span className={styles.status} aria-live="polite">
        {item.saving && (
          <span className={styles.pendingMark} title="Not synced yet: it goes out as soon as the connection is back" data-testid="todo-pending">
            <Spinner />
            <span className="sr-only">{quoted} not synced yet</span>
          </span>
        )}
      </span>

      {!editing && (
        <span className={styles.actions}>
          <IconButton ref={editButton} label={`Edit ${quoted}`} onClick={startEditing}>
            <PencilIcon size={18} />
          </IconButton>
          <IconButton label={`Delete ${quoted}`} tone="danger" onClick={remove}>
            <TrashIcon size={18} />
          </IconButton>
        </span>
      )}
    </li>
  );
}
