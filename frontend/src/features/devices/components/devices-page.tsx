import type { Session } from '@cobalt/contract';
import { useState } from 'react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card, Page } from '../../../components/ui/page';
import { describeError, toApiError } from '../../../lib/api-error';
import { displayDeviceName } from '../../../lib/device-name';
import { notify } from '../../../lib/notifications';
import { useSessions } from '../api/get-sessions';
import { renameSession } from '../api/rename-session';
import { revokeSession } from '../api/revoke-session';
import { usePresence } from '../hooks/use-presence';
import { useSessionEvents } from '../hooks/use-session-events';
import styles from './devices-page.module.css';
import { SessionItem } from './session-item';

export function DevicesPage() {
  const { data, error, loading, refetch } = useSessions();
  const online = usePresence();
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  useSessionEvents(() => void refetch());

  const signOut = async (target: Session) => {
    const name = displayDeviceName(target.device);
    setBusy((set) => new Set(set).add(target.id));
    try {
      await revokeSession(target.id);
      if (!target.current) notify(`${name} was signed out.`, 'info');
    } catch (err) {
      // Already ended elsewhere: the list was just out of date.
      if (toApiError(err).code !== 'NOT_FOUND') notify(`Couldn't sign out ${name}. ${describeError(err)}`);
    } finally {
      setBusy((set) => {
        const next = new Set(set);
        next.delete(target.id);
        return next;
      });
      if (!target.current) void refetch();
    }
  };

  const rename = async (target: Session, device: string): Promise<boolean> => {
    try {
      await renameSession(target.id, device);
      void refetch();
      return true;
    } catch (err) {
      notify(`Couldn't rename ${displayDeviceName(target.device)}. ${describeError(err)}`);
      return false;
    }
  };

  const sessions = data ?? [];
  return (
    <Page title="Devices" lead="Everywhere you are signed in, and which devices are online now. Signing a device out ends its session there at once.">
      <Card aria-label="Signed-in devices" aria-busy={loading && !data ? true : undefined}>
        {error && !data ? (
          <div className={styles.padded}>
            <Alert tone="error">
              Your devices could not be loaded. {describeError(error)}{' '}
              <Button variant="secondary" size="sm" onClick={() => void refetch()}>
                Try again
              </Button>
            </Alert>
          </div>
        ) : !data ? (
          <p className={styles.padded}>Loading your devices…</p>
        ) : (
          <ul className={styles.list}>
            {sessions.map((s) => (
              <SessionItem key={s.id} session={s} online={online ? online.has(s.id) : null} busy={busy.has(s.id)} onSignOut={(target) => void signOut(target)} onRename={rename} />
            ))}
          </ul>
        )}
      </Card>
    </Page>
  );
}
