import mongoose from 'mongoose';

/** A write refused because a unique key (an `_id`, a unique index) is taken: MongoDB's E11000. */
export const isDuplicateKey = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 11000;

/**
 * One Mongoose connection per process. Short server-selection timeouts make a MongoDB
 * outage a fast 503 instead of a hanging request; the driver reconnects by itself.
 * Commands are not buffered while disconnected for the same reason.
 */
export async function connectMongo(url: string, onCommand?: (command: string, collection: string) => void): Promise<mongoose.Connection> {
  const connection = mongoose.createConnection(url, {
    // Command events feed the store-command metric (how many round trips each operation costs).
    monitorCommands: onCommand !== undefined,
    serverSelectionTimeoutMS: 2000,
    connectTimeoutMS: 2000,
    socketTimeoutMS: 10_000,
    bufferCommands: false,
    autoIndex: false,
    maxPoolSize: 20,
  });
  if (onCommand) {
    connection.getClient().on('commandStarted', (event) => {
      const target = event.command[event.commandName] as unknown;
      onCommand(event.commandName, typeof target === 'string' ? target : String(event.command.collection ?? ''));
    });
  }
  await connection.asPromise();
  return connection;
}

/**
 * Whether MongoDB answers, as the driver last saw it: down from the moment a connection to it fails
 * (the driver clears its pool) or its monitor's heartbeat fails, up again once a ping succeeds
 * (pinged every half second while down, which also has the driver check the server at once). While
 * it is down, work that needs the store is refused at once instead of each request waiting out the
 * server-selection timeout in turn.
 */
export function watchAvailability(connection: mongoose.Connection, retryMs = 500): { isUp: () => boolean; stop: () => void } {
  let up = true;
  let retry: NodeJS.Timeout | undefined;
  const client = connection.getClient();
  const markUp = () => {
    up = true;
    clearInterval(retry);
    retry = undefined;
  };
  const markDown = () => {
    up = false;
    retry ??= setInterval(() => {
      void connection.db
        ?.admin()
        .command({ ping: 1 })
        .then(markUp, () => undefined);
    }, retryMs);
    retry.unref();
  };
  client.on('connectionPoolCleared', markDown);
  client.on('serverHeartbeatFailed', markDown);
  client.on('serverHeartbeatSucceeded', markUp);
  return { isUp: () => up, stop: () => clearInterval(retry) };
}
