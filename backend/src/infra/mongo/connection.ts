import mongoose from 'mongoose';

/**
 * One Mongoose connection per process. Short server-selection timeouts make a MongoDB
 * outage a fast 503 instead of a hanging request; the driver reconnects by itself.
 * Commands are not buffered while disconnected for the same reason.
 */
export async function connectMongo(url: string): Promise<mongoose.Connection> {
  const connection = mongoose.createConnection(url, {
    serverSelectionTimeoutMS: 2000,
    connectTimeoutMS: 2000,
    socketTimeoutMS: 10_000,
    bufferCommands: false,
    autoIndex: false,
    maxPoolSize: 20,
  });
  await connection.asPromise();
  return connection;
}

/**
 * FerretDB answers `buildInfo` with a `ferretdbVersion`. Cobalt uses it to know that
 * single-document updates are not atomic there (see infra/redis/user-write-lock.ts).
 */
export async function isFerretDB(connection: mongoose.Connection): Promise<boolean> {
  const info = await connection.db!.admin().command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string';
}
