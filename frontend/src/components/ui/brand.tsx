import styles from './brand.module.css';

/** The Cobalt mark and name. */
export function Brand({ size = 'md' }: { size?: 'md' | 'lg' }) {
  return (
    <span className={`${styles.brand} ${size === 'lg' ? styles.large : ''}`}>
      <svg className={styles.mark} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
        <defs>
          <linearGradient id="cobalt-mark" x1="0" y1="0" x2="1" y2="1">
            <stop offset="0" stopColor="#2f6fe4" />
            <stop offset="1" stopColor="#0039a6" />
          </linearGradient>
        </defs>
        <rect width="32" height="32" rx="9" fill="url(#cobalt-mark)" />
        <path d="M9.5 16.5l4.5 4.5 8.5-9.5" fill="none" stroke="#fff" strokeWidth="3" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <span className={styles.name}>Cobalt</span>
    </span>
  );
}
