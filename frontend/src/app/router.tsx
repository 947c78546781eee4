import type { ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useSession } from '../features/auth/hooks/use-session';
import { DevicesRoute } from './routes/devices';
import { NotFoundRoute } from './routes/not-found';
import { RegisterRoute } from './routes/register';
import { SignInRoute } from './routes/sign-in';
import { TodosRoute } from './routes/todos';
import { SignedInArea } from './signed-in-area';
import { Splash } from './splash';

interface FromState {
  from?: string;
}

/** Signed-out pages send a signed-in user on to where they were going. */
function SignedOutOnly({ children }: { children: ReactNode }) {
  const state = useSession();
  const location = useLocation();
  if (state.status === 'signed-in') return <Navigate to={(location.state as FromState | null)?.from ?? '/'} replace />;
  return children;
}

/** Signed-in pages send everyone else to sign in, remembering where they wanted to go. */
function SignedInOnly() {
  const state = useSession();
  const location = useLocation();
  if (state.status !== 'signed-in') return <Navigate to="/sign-in" replace state={{ from: location.pathname } satisfies FromState} />;
  return <SignedInArea key={state.sessionId} />;
}

export function AppRouter() {
  const state = useSession();
  if (state.status === 'restoring') return <Splash />;
  const notice = state.status === 'signed-out' ? state.notice : null;
  return (
    <Routes>
      <Route
        path="/sign-in"
        element={
          <SignedOutOnly>
            <SignInRoute notice={notice} />
          </SignedOutOnly>
        }
      />
      <Route
        path="/register"
        element={
          <SignedOutOnly>
            <RegisterRoute />
          </SignedOutOnly>
        }
      />
      <Route element={<SignedInOnly />}>
        <Route index element={<TodosRoute filter="all" />} />
        <Route path="active" element={<TodosRoute filter="active" />} />
        <Route path="completed" element={<TodosRoute filter="completed" />} />
        <Route path="devices" element={<DevicesRoute />} />
      </Route>
      <Route path="*" element={<NotFoundRoute />} />
    </Routes>
  );
}
