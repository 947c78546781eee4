import { Link } from 'react-router';
import { AuthLayout } from '../../features/auth/components/auth-layout';
import { SignInForm } from '../../features/auth/components/sign-in-form';

export function SignInRoute({ notice }: { notice: string | null }) {
  return (
    <AuthLayout
      title="Welcome back"
      subtitle="Sign in to pick up where you left off, on any device."
      footer={
        <>
          New to Cobalt? <Link to="/register">Create an account</Link>
        </>
      }
    >
      <title>Sign in · Cobalt</title>
      <SignInForm notice={notice} />
    </AuthLayout>
  );
}
