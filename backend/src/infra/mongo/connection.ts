import mongoose from 'mongoose';

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
