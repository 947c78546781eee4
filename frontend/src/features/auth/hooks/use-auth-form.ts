import { useState, type FormEvent } from 'react';
import type { z } from 'zod';
import { describeError, toApiError } from '../../../lib/api-error';

type FieldErrors<K extends string> = Partial<Record<K, string>>;

/** A text field's value (the form has no file inputs). */
const textOf = (value: FormDataEntryValue | null) => (typeof value === 'string' ? value : '');

/**
 * Submit handling shared by the sign-in and register forms: reads the fields, checks them with
 * the operation's schema, shows the first problem of each field (and focuses the first one), and
 * turns a refusal by the server into field errors or one message for the whole form.
 */
export function useAuthForm<K extends string>(fields: readonly K[], schema: z.ZodType, submit: (values: Record<K, string>) => Promise<void>) {
  const [errors, setErrors] = useState<FieldErrors<K>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const showErrors = (form: HTMLFormElement, next: FieldErrors<K>) => {
    setErrors(next);
    const first = fields.find((field) => next[field]);
    if (first) (form.elements.namedItem(first) as HTMLInputElement | null)?.focus();
  };

  const submitForm = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const form = event.currentTarget;
    const data = new FormData(form);
    const values = Object.fromEntries(fields.map((field) => [field, textOf(data.get(field))])) as Record<K, string>;
    setFormError(null);

    const checked = schema.safeParse(values);
    if (!checked.success) {
      const next: FieldErrors<K> = {};
      for (const issue of checked.error.issues) {
        const field = issue.path[0] as K;
        next[field] ??= issue.message;
      }
      showErrors(form, next);
      return;
    }

    setErrors({});
    setBusy(true);
    try {
      await submit(values);
    } catch (error) {
      const err = toApiError(error);
      const next: FieldErrors<K> = {};
      for (const problem of err.fieldProblems) if ((fields as readonly string[]).includes(problem.path)) next[problem.path as K] ??= problem.message;
      if (Object.keys(next).length) showErrors(form, next);
      else setFormError(describeError(err));
      setBusy(false);
    }
  };

  const clearError = (field: K) => setErrors((current) => (current[field] ? { ...current, [field]: undefined } : current));

  // A form's onSubmit ignores what it returns: the submission's own errors are shown by `submitForm`.
  const onSubmit = (event: FormEvent<HTMLFormElement>) => void submitForm(event);

  return { errors, formError, busy, onSubmit, clearError };
}
