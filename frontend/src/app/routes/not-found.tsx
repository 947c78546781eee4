import { Link } from 'react-router';
import { AuthLayout } from '../../features/auth/components/auth-layout';

export function NotFoundRoute() {
  return (
    <AuthLayout title="Page not found" subtitle="There is nothing at this address." footer={<Link to="/">Go to your todos</Link>}>
      <title>Not found · Cobalt</title>
    </AuthLayout>
  );
}
