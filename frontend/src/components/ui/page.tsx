import type { HTMLAttributes, ReactNode } from 'react';
import styles from './page.module.css';

/**
 * The frame of a signed-in page: its heading (which receives focus when the user navigates to
 * it), an optional line beside or below it, and the content.
 */
export function Page({ title, aside, lead, children }: { title: string; aside?: ReactNode; lead?: ReactNode; children: ReactNode }) {
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <h1 className={styles.heading} tabIndex={-1} data-page-heading>
          {title}
        </h1>
        {aside && (
          <p className={styles.aside} aria-live="polite">
            {aside}
          </p>
        )}
        {lead && <p className={styles.lead}>{lead}</p>}
      </header>
      {children}
    </div>
  );
}

/** The raised surface that holds a page's main content. */
export function Card({ className, ...props }: HTMLAttributes<HTMLElement>) {
  return <section className={`${styles.card} ${className ?? ''}`} {...props} />;
}
