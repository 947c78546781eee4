import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { TextField } from '../../../components/ui/text-field';
import { register, registerInputSchema } from '../api/register';
import { useAuthForm } from '../hooks/use-auth-form';
import styles from './auth-form.module.css';

const FIELDS = ['name', 'email', 'password'] as const;

export function RegisterForm() {
  const { errors, formError, busy, onSubmit, clearError } = useAuthForm(FIELDS, registerInputSchema, register);
  return (
    <form className={styles.form} onSubmit={onSubmit} noValidate aria-label="Create account">
      {formError && <Alert tone="error">{formError}</Alert>}
      <TextField label="Name" name="name" autoComplete="name" required maxLength={100} error={errors.name} onChange={() => clearError('name')} />
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        inputMode="email"
        autoCapitalize="none"
        spellCheck={false}
        required
        error={errors.email}
        onChange={() => clearError('email')}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        revealable
        hint="At least 8 characters."
        error={errors.password}
        onChange={() => clearError('password')}
      />
      <Button type="submit" busy={busy} block className={styles.submit}>
        {busy ? 'Creating account…' : 'Create account'}
      </Button>
    </form>
  );
}
