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
