import type { ReactNode } from 'react';
import styles from './alert.module.css';
import { AlertIcon, InfoIcon } from './icons';

/** A message box. Errors are announced at once (`role="alert"`), the rest politely. */
export function Alert({ tone = 'info', children, id }: { tone?: 'info' | 'error'; children: ReactNode; id?: string }) {
  return (
    <div id={id} role={tone === 'error' ? 'alert' : 'status'} className={`${styles.alert} ${styles[tone]}`}>
      {tone === 'error' ? <AlertIcon size={18} className={styles.icon} /> : <InfoIcon size={18} className={styles.icon} />}
      <div>{children}</div>
    </div>
  );
}
