import { useConnectionIndicator } from '../hooks/use-connection-indicator';
import styles from './connection-status.module.css';

/**
 * Where this tab's live connection stands: the backend instance it is connected to, or that it
 * is reconnecting, or offline. It changes only on the socket's own events, so it does not guess.
 */
export function ConnectionStatus() {
  const { tone, label, short, instanceId } = useConnectionIndicator();
  return (
    <p className={`${styles.status} ${styles[tone]}`} role="status" data-testid="connection-status" data-state={tone} data-instance={instanceId ?? undefined} title={label}>
      <span className={styles.dot} aria-hidden="true" />
      <span className={styles.long}>{label}</span>
      <span className={styles.short} aria-hidden="true">
        {short}
      </span>
    </p>
  );
}
