import { dismissNotification, notifications } from '../../lib/notifications';
import { useStore } from '../../lib/store';
import { AlertIcon, CloseIcon, InfoIcon } from './icons';
import styles from './notifications.module.css';

/** The stack of messages raised by `notify()`, announced to screen readers as they arrive. */
export function Notifications() {
  const list = useStore(notifications);
  return (
    <section className={styles.region} aria-label="Notifications">
      {/* Always in the document, so screen readers announce what is added to it. */}
      <ol className={styles.list} aria-live="assertive" aria-relevant="additions">
        {list.map((n) => (
          <li key={n.id} className={`${styles.toast} ${n.tone === 'error' ? styles.error : styles.info}`} data-testid="notification">
            {n.tone === 'error' ? <AlertIcon size={18} className={styles.icon} /> : <InfoIcon size={18} className={styles.icon} />}
            <p className={styles.message}>{n.message}</p>
            <button type="button" className={styles.close} aria-label="Dismiss message" onClick={() => dismissNotification(n.id)}>
              <CloseIcon size={16} />
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
