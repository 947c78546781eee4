import { Link } from 'react-router';
import { AuthLayout } from '../../features/auth/components/auth-layout';
import { RegisterForm } from '../../features/auth/components/register-form';

export function RegisterRoute() {
  return (
    <AuthLayout
      title="Create your account"
      subtitle="One list, live on every device you use."
      footer={
        <>
          Already have an account? <Link to="/sign-in">Sign in</Link>
        </>
      }
    >
      <title>Create account · Cobalt</title>
      <RegisterForm />
    </AuthLayout>
  );
}
