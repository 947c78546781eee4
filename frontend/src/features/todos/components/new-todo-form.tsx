import { TITLE_MAX_LENGTH } from '@cobalt/contract';
import { useId, useState, type FormEvent } from 'react';
import { Button } from '../../../components/ui/button';
import { PlusIcon } from '../../../components/ui/icons';
import { todoTitleSchema } from '../api/todo-title';
import styles from './new-todo-form.module.css';

export const NEW_TODO_INPUT_ID = 'new-todo';

/** The "what needs doing?" line. Clears at once; puts the text back if the change could not be kept. */
export function NewTodoForm({ onAdd }: { onAdd: (title: string) => Promise<boolean> }) {
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const checked = todoTitleSchema.safeParse(title);
    if (!checked.success) {
      setError(checked.error.issues[0]?.message ?? 'Enter a title.');
      return;
    }
    setError(null);
    setTitle('');
    const saved = await onAdd(checked.data);
    if (!saved) setTitle((current) => current || checked.data);
  };

  return (
    <form className={styles.form} onSubmit={(event) => void submit(event)} noValidate>
      <label htmlFor={NEW_TODO_INPUT_ID} className="sr-only">
        New todo
      </label>
      <input
        id={NEW_TODO_INPUT_ID}
        className={styles.input}
        placeholder="What needs doing?"
        autoComplete="off"
        enterKeyHint="done"
        maxLength={TITLE_MAX_LENGTH}
        value={title}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(event) => {
          setTitle(event.target.value);
          if (error) setError(null);
        }}
      />
      <Button type="submit" icon={<PlusIcon size={18} />} className={styles.add}>
        Add
      </Button>
      <p id={errorId} className={styles.error} aria-live="polite">
        {error}
      </p>
    </form>
  );
}
