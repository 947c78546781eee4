import type { ReactNode } from 'react';
import { Brand } from '../../../components/ui/brand';
import styles from './auth-layout.module.css';

/** The frame of the signed-out pages: brand, a card with the form, a line below it. */
export function AuthLayout({ title, subtitle, children, footer }: { title: string; subtitle: string; children: ReactNode; footer: ReactNode }) {
  return (
    <div className={styles.page}>
      <main className={styles.main} id="main">
        <div className={styles.brand}>
          <Brand size="lg" />
        </div>
        <div className={styles.card}>
          <header className={styles.header}>
            <h1 className={styles.title}>{title}</h1>
            <p className={styles.subtitle}>{subtitle}</p>
          </header>
          {children}
        </div>
        <p className={styles.footer}>{footer}</p>
      </main>
    </div>
  );
}
