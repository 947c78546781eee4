import { useEffect, useRef, useState, type ReactNode } from 'react';
import { NavLink, useLocation } from 'react-router';
import { Brand } from '../../components/ui/brand';
import { Button } from '../../components/ui/button';
import { SignOutIcon } from '../../components/ui/icons';
import { useMe } from '../../features/auth/api/get-me';
import { signOut } from '../../features/auth/api/sign-out';
import { useSession } from '../../features/auth/hooks/use-session';
import { ConnectionStatus } from '../../features/connection/components/connection-status';
import { describeError } from '../../lib/api-error';
import { notify } from '../../lib/notifications';
import styles from './app-shell.module.css';

const sectionOf = (pathname: string) => (pathname.startsWith('/devices') ? 'devices' : 'todos');

/** Moves focus to the page's heading when the user goes to another section, as a page load would. */
function useFocusHeadingOnNavigation() {
  const { pathname } = useLocation();
  const section = sectionOf(pathname);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.querySelector<HTMLElement>('[data-page-heading]')?.focus();
  }, [section]);
}

export function AppShell({ children }: { children: ReactNode }) {
  const state = useSession();
  const { pathname } = useLocation();
  const [signingOut, setSigningOut] = useState(false);
  useFocusHeadingOnNavigation();
  const user = useMe(state.status === 'signed-in' ? state.user : null);

  const onSignOut = async () => {
    setSigningOut(true);
    try {
      await signOut();
    } catch (error) {
      notify(`Couldn't sign out. ${describeError(error)}`);
      setSigningOut(false);
    }
  };

  return (
    <div className={styles.shell}>
      <a className={styles.skip} href="#main">
        Skip to content
      </a>
      <header className={styles.topbar}>
        <div className={styles.inner}>
          <NavLink to="/" className={styles.home} aria-label="Cobalt, home">
            <Brand />
          </NavLink>
          <nav aria-label="Main" className={styles.nav}>
            <NavLink
              to="/"
              aria-current={sectionOf(pathname) === 'todos' ? 'page' : undefined}
              className={`${styles.navLink} ${sectionOf(pathname) === 'todos' ? styles.current : ''}`}
            >
              Todos
            </NavLink>
            <NavLink to="/devices" className={({ isActive }) => `${styles.navLink} ${isActive ? styles.current : ''}`}>
              Devices
            </NavLink>
          </nav>
          <div className={styles.status}>
            <ConnectionStatus />
          </div>
          <div className={styles.account}>
            {user && (
              <span className={styles.user} title={user.email}>
                <span className={styles.avatar} aria-hidden="true">
                  {user.name.trim().charAt(0).toUpperCase() || '?'}
                </span>
                <span className={styles.userText}>
                  <span className={styles.userName}>{user.name}</span>
                  <span className={styles.userEmail}>{user.email}</span>
                </span>
              </span>
            )}
            <Button variant="ghost" size="sm" onClick={() => void onSignOut()} busy={signingOut} icon={<SignOutIcon size={16} />}>
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <main id="main" className={styles.main} tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
