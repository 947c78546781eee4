import type { Session } from '@cobalt/contract';
import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Button, IconButton } from '../../../components/ui/button';
import { LaptopIcon, PencilIcon, PhoneIcon, SignOutIcon, TerminalIcon } from '../../../components/ui/icons';
import { displayDeviceName } from '../../../lib/device-name';
import { formatDateTime, timeAgo } from '../../../lib/format-time';
import { deviceNameSchema } from '../api/rename-session';
import styles from './session-item.module.css';

function DeviceIcon({ name }: { name: string }) {
  if (/iPhone|Android|Pixel|Galaxy|phone/i.test(name)) return <PhoneIcon size={22} />;
  if (/curl|node|python|http|cli/i.test(name)) return <TerminalIcon size={22} />;
  return <LaptopIcon size={22} />;
}

interface SessionItemProps {
  session: Session;
  /** Connected now (null: not known, e.g. while this device is offline). */
  online: boolean | null;
  busy: boolean;
  onSignOut: (session: Session) => void;
  /** Resolves false (and keeps the editor open) when the name was not saved. */
  onRename: (session: Session, device: string) => Promise<boolean>;
}

export function SessionItem({ session, online, busy, onSignOut, onRename }: SessionItemProps) {
  const name = displayDeviceName(session.device);
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const renameButton = useRef<HTMLButtonElement>(null);

  const close = () => {
    setDraft(null);
    setProblem(null);
    requestAnimationFrame(() => renameButton.current?.focus());
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (draft === null) return;
    const checked = deviceNameSchema.safeParse(draft);
    if (!checked.success) {
      setProblem(checked.error.issues[0]?.message ?? 'Give the device a name.');
      return;
    }
    if (checked.data === session.device) return close();
    setSaving(true);
    const saved = await onRename(session, checked.data);
    setSaving(false);
    if (saved) close();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      close();
    }
  };

  return (
    <li className={styles.item} data-current={session.current || undefined} data-online={online || undefined} data-testid="session-item">
      <span className={styles.icon}>
        <DeviceIcon name={name} />
        {online !== null && <span className={styles.presence} data-online={online || undefined} aria-hidden="true" />}
      </span>
      <div className={styles.body}>
        {draft !== null ? (
          <form className={styles.rename} onSubmit={(event) => void save(event)} noValidate>
            <input
              className={styles.renameInput}
              value={draft}
              maxLength={100}
              aria-label={`New name for ${name}`}
              aria-invalid={problem ? true : undefined}
              autoFocus
              onChange={(event) => {
                setDraft(event.target.value);
                setProblem(null);
              }}
              onKeyDown={onKeyDown}
            />
            <Button type="submit" size="sm" busy={saving}>
              Save
            </Button>
            <Button variant="ghost" size="sm" onClick={close}>
              Cancel
            </Button>
            {problem && (
              <span className={styles.problem} role="alert">
                {problem}
              </span>
            )}
          </form>
        ) : (
          <p className={styles.name}>
            <span title={session.device} data-testid="session-name">
              {name}
            </span>
            {session.current && <span className={styles.badge}>This device</span>}
            {online !== null && (
              <span className={online ? styles.online : styles.away} data-testid="session-presence">
                {online ? 'Online now' : 'Offline'}
              </span>
            )}
          </p>
        )}
        <p className={styles.meta}>
          Signed in{' '}
          <time dateTime={session.createdAt} title={formatDateTime(session.createdAt)}>
            {timeAgo(session.createdAt)}
          </time>
          <span aria-hidden="true"> · </span>
          <span className={styles.metaPart}>
            last active{' '}
            <time dateTime={session.lastSeenAt} title={formatDateTime(session.lastSeenAt)}>
              {timeAgo(session.lastSeenAt)}
            </time>
          </span>
        </p>
      </div>
      {draft === null && (
        <IconButton ref={renameButton} label={`Rename ${name}`} onClick={() => setDraft(session.device)} className={styles.action}>
          <PencilIcon size={18} />
        </IconButton>
      )}
      <Button
        variant="danger"
        size="sm"
        busy={busy}
        icon={<SignOutIcon size={16} />}
        onClick={() => onSignOut(session)}
        aria-label={session.current ? 'Sign out this device' : `Sign out ${name}`}
        className={styles.action}
      >
        Sign out
      </Button>
    </li>
  );
}
