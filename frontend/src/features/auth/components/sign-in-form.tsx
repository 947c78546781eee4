import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { TextField } from '../../../components/ui/text-field';
import { signIn, signInInputSchema } from '../api/sign-in';
import { useAuthForm } from '../hooks/use-auth-form';
import styles from './auth-form.module.css';

const FIELDS = ['email', 'password'] as const;

export function SignInForm({ notice }: { notice?: string | null }) {
  const { errors, formError, busy, onSubmit, clearError } = useAuthForm(FIELDS, signInInputSchema, signIn);
  return (
    <form className={styles.form} onSubmit={onSubmit} noValidate aria-label="Sign in">
      {notice && !formError && <Alert tone="info">{notice}</Alert>}
      {formError && <Alert tone="error">{formError}</Alert>}
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
        autoComplete="current-password"
        required
        revealable
        error={errors.password}
        onChange={() => clearError('password')}
      />
      <Button type="submit" busy={busy} block className={styles.submit}>
        {busy ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}
