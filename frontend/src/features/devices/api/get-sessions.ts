import type { Session } from '@cobalt/contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import { cobalt } from '../../../lib/cobalt';

export interface SessionsQuery {
  data: Session[] | null;
  error: unknown;
  loading: boolean;
  refetch: () => Promise<void>;
}

/** The user's active sessions (REST), oldest first; `current` marks this device's. */
export function useSessions(): SessionsQuery {
  const [data, setData] = useState<Session[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);

  const refetch = useCallback(async () => {
    const mine = ++latest.current;
    setLoading(true);
    try {
      const sessions = await cobalt.sessions.list();
      if (mine === latest.current) {
        setData(sessions);
        setError(null);
      }
    } catch (err) {
      if (mine === latest.current) setError(err);
    } finally {
      if (mine === latest.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void refetch();
  }, [refetch]);

  return { data, error, loading, refetch };
}
