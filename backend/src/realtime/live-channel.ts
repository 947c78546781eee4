import type { Redis } from 'ioredis';
import { isRedisReady, onLinkRecovered } from '../infra/redis/connection.js';
import { errorFields, logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { Announcement, Audience, Delivery } from './notifier.js';

/** One live connection's ears: what it hears of its user's announcements. */
export interface LiveListener {
  /** The connection's session: it does not hear what is meant for every session but its own. */
  sessionId: string;
  announce(announcement: Announcement): void;
  /** Its session was revoked: close the connection. */
  end(): void;
  /** Announcements may have been lost (a Redis link was down and is back): catch up from the store. */
  resume(): void;
}

export interface LiveChannel extends Delivery {
  /** Listens to a user's announcements, cluster-wide once the promise resolves; returns the way to stop. */
  listen(userId: string, listener: LiveListener): Promise<() => void>;
  /** Listeners here now. */
  listeners(): LiveListener[];
}

interface Message {
  /** Instance that published: it delivered to its own listeners already. */
  from: string;
  audience?: Audience;
  announcement?: Announcement;
  endSessionId?: string;
}

const CHANNEL_PREFIX = 'cobalt:live:';
const RESUME_CHANNEL = 'cobalt:live-resume';
const channelOf = (userId: string) => `${CHANNEL_PREFIX}${userId}`;

/**
 * The graphql-ws delivery of the domain's notifier, cluster-wide through Redis pub/sub: one channel
 * per user, which an instance subscribes to while it has a live connection of that user.
 * Announcements reach this instance's own listeners directly, so they keep hearing them while
 * Redis is away. Pub/sub keeps nothing: when a link is back, listeners are told to catch up (the
 * instance's own after a lost subscriber link, every instance's after a lost publisher link), as
 * Socket.IO clients are with `sync:required`.
 */
export function createLiveChannel(deps: { instanceId: string; pub: Redis; sub: Redis; metrics: Pick<Metrics, 'adapterErrors'> }): LiveChannel {
  const { instanceId, pub, sub } = deps;
  const users = new Map<string, { listeners: Set<LiveListener>; subscribed: Promise<unknown> }>();

  const dispatch = (userId: string, message: Omit<Message, 'from'>) => {
    for (const listener of users.get(userId)?.listeners ?? []) {
      if (message.endSessionId !== undefined) {
        if (listener.sessionId === message.endSessionId) listener.end();
      } else if (message.announcement && message.audience?.exceptSessionId !== listener.sessionId) listener.announce(message.announcement);
    }
  };
  const resumeAll = () => {
    for (const { listeners } of users.values()) for (const listener of listeners) listener.resume();
  };
  const publish = (channel: string, message: Omit<Message, 'from'>) => {
    pub.publish(channel, JSON.stringify({ from: instanceId, ...message })).catch((error: unknown) => {
      deps.metrics.adapterErrors.inc();
      logger.debug('live channel publish failed', errorFields(error));
    });
  };
  const subscribe = (channel: string): Promise<unknown> =>
    // A subscription sent while ioredis is not ready fails for good; `ready` below sends them all again.
    isRedisReady(sub) ? sub.subscribe(channel).catch((error: unknown) => logger.warn('live channel subscribe failed', { channel, ...errorFields(error) })) : Promise.resolve();

  sub.on('message', (channel: string, raw: string) => {
    let message: Message;
    try {
      message = JSON.parse(raw) as Message;
    } catch {
      return;
    }
    if (message.from === instanceId) return;
    if (channel === RESUME_CHANNEL) resumeAll();
    else if (channel.startsWith(CHANNEL_PREFIX)) dispatch(channel.slice(CHANNEL_PREFIX.length), message);
  });

  onLinkRecovered(sub, () => {
    void Promise.all([RESUME_CHANNEL, ...[...users.keys()].map(channelOf)].map(subscribe)).then(() => {
      logger.info('live channel link to redis is back: catching up', { link: 'sub' });
      resumeAll();
    });
  });
  onLinkRecovered(pub, () => {
    logger.info('live channel link to redis is back: catching up', { link: 'pub' });
    publish(RESUME_CHANNEL, {});
    resumeAll();
  });
  void subscribe(RESUME_CHANNEL);

  return {
    deliver(audience, announcement) {
      dispatch(audience.userId, { audience, announcement });
      publish(channelOf(audience.userId), { audience, announcement });
    },
    endSession(userId, sessionId) {
      dispatch(userId, { endSessionId: sessionId });
      publish(channelOf(userId), { endSessionId: sessionId });
    },
    async listen(userId, listener) {
      let entry = users.get(userId);
      if (!entry) {
        entry = { listeners: new Set(), subscribed: subscribe(channelOf(userId)) };
        users.set(userId, entry);
      }
      const joined = entry;
      joined.listeners.add(listener);
      const stop = () => {
        joined.listeners.delete(listener);
        if (joined.listeners.size > 0 || users.get(userId) !== joined) return;
        users.delete(userId);
        if (isRedisReady(sub)) sub.unsubscribe(channelOf(userId)).catch(() => undefined);
      };
      await joined.subscribed;
      return stop;
    },
    listeners: () => [...users.values()].flatMap((entry) => [...entry.listeners]),
  };
}
