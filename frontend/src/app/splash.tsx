import { Brand } from '../components/ui/brand';
import { Spinner } from '../components/ui/spinner';
import styles from './splash.module.css';

/** Shown for the moment it takes to restore the session from the refresh cookie. */
export function Splash() {
  return (
    <div className={styles.splash}>
      <Brand size="lg" />
      <p className={styles.text}>
        <Spinner label="Loading" /> Restoring your session…
      </p>
    </div>
  );
}
