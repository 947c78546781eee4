import type { ButtonHTMLAttributes, ReactNode, Ref } from 'react';
import styles from './button.module.css';
import { Spinner } from './spinner';

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'ghost' | 'danger';
  size?: 'md' | 'sm';
  /** Shows a spinner and blocks further clicks while the action runs. */
  busy?: boolean;
  icon?: ReactNode;
  block?: boolean;
};

export function Button({ variant = 'primary', size = 'md', busy = false, icon, block = false, className, children, disabled, type = 'button', ...props }: ButtonProps) {
  const classes = [styles.button, styles[variant], size === 'sm' ? styles.small : '', block ? styles.block : '', className ?? ''].join(' ');
  return (
    <button type={type} className={classes} disabled={disabled || busy} aria-busy={busy || undefined} {...props}>
      {busy ? <Spinner /> : icon}
      {children}
    </button>
  );
}

type IconButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & { label: string; tone?: 'default' | 'danger'; ref?: Ref<HTMLButtonElement> };

/** A square button with only an icon; `label` is its accessible name and tooltip. */
export function IconButton({ label, tone = 'default', className, children, type = 'button', ...props }: IconButtonProps) {
  return (
    <button type={type} aria-label={label} title={label} className={`${styles.iconButton} ${tone === 'danger' ? styles.iconDanger : ''} ${className ?? ''}`} {...props}>
      {children}
    </button>
  );
}
