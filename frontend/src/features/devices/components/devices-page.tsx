import type { Session } from '@cobalt/contract';
import { useApolloClient } from '@apollo/client/react';
import { useState } from 'react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card, Page } from '../../../components/ui/page';
import { describeError, toApiError } from '../../../lib/api-error';
import { displayDeviceName } from '../../../lib/device-name';
import { notify } from '../../../lib/notifications';
import { session as currentSession } from '../../../lib/session';
import { useSessions } from '../api/get-sessions';
import { revokeSession } from '../api/revoke-session';
import { useSessionEvents } from '../hooks/use-session-events';
import styles from './devices-page.module.css';
import { SessionItem } from './session-item';

export function DevicesPage() {
  const client = useApolloClient();
  const { data, error, loading, refetch } = useSessions();
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  useSessionEvents(() => void refetch().catch(() => undefined));

  const forget = (id: string) => {
    client.cache.evict({ id: client.cache.identify({ __typename: 'Session', id }) });
    client.cache.gc();
  };

  const signOut = async (target: Session) => {
    const name = displayDeviceName(target.device);
    setBusy((set) => new Set(set).add(target.id));
    try {
      if (target.current) {
        await currentSession.signOutWith(() => revokeSession(target.id));
        return;
      }
      await revokeSession(target.id);
      forget(target.id);
      notify(`${name} was signed out.`, 'info');
    } catch (err) {
      // Already ended elsewhere: the list was just out of date.
      if (toApiError(err).code === 'NOT_FOUND') forget(target.id);
      else notify(`Couldn't sign out ${name}. ${describeError(err)}`);
    } finally {
      setBusy((set) => {
        const next = new Set(set);
        next.delete(target.id);
        return next;
      });
      void refetch().catch(() => undefined);
    }
  };

  const sessions = data?.sessions ?? [];
  return (
    <Page title="Devices" lead="Everywhere you are signed in. Signing a device out ends its session there at once.">
      <Card aria-label="Signed-in devices" aria-busy={loading && !data ? true : undefined}>
        {error && !data ? (
          <div className={styles.padded}>
            <Alert tone="error">
              Your devices could not be loaded. {describeError(error)}{' '}
              <Button variant="secondary" size="sm" onClick={() => void refetch().catch(() => undefined)}>
                Try again
              </Button>
            </Alert>
          </div>
        ) : !data ? (
          <p className={styles.padded}>Loading your devices…</p>
        ) : (
          <ul className={styles.list}>
            {sessions.map((s) => (
              <SessionItem key={s.id} session={s} busy={busy.has(s.id)} onSignOut={(target) => void signOut(target)} />
            ))}
          </ul>
        )}
      </Card>
    </Page>
  );
}
