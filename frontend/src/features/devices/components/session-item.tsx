import type { Session } from '@cobalt/contract';
import { Button } from '../../../components/ui/button';
import { LaptopIcon, PhoneIcon, SignOutIcon, TerminalIcon } from '../../../components/ui/icons';
import { displayDeviceName } from '../../../lib/device-name';
import { formatDateTime, timeAgo } from '../../../lib/format-time';
import styles from './session-item.module.css';

function DeviceIcon({ name }: { name: string }) {
  if (/iPhone|Android|Pixel|Galaxy|phone/i.test(name)) return <PhoneIcon size={22} />;
  if (/curl|node|python|http|cli/i.test(name)) return <TerminalIcon size={22} />;
  return <LaptopIcon size={22} />;
}

export function SessionItem({ session, busy, onSignOut }: { session: Session; busy: boolean; onSignOut: (session: Session) => void }) {
  const name = displayDeviceName(session.device);
  return (
    <li className={styles.item} data-current={session.current || undefined} data-testid="session-item">
      <span className={styles.icon}>
        <DeviceIcon name={name} />
      </span>
      <div className={styles.body}>
        <p className={styles.name}>
          <span title={session.device}>{name}</span>
          {session.current && <span className={styles.badge}>This device</span>}
        </p>
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
