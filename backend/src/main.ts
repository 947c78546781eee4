import { loadConfig } from './config.js';
import { errorFields, logger } from './lib/logger.js';
import { createCobaltServer } from './server.js';

/** Process entry: boot one instance, stop it gracefully on SIGTERM/SIGINT within the budget. */
async function main(): Promise<void> {
  const config = loadConfig();
  const server = await createCobaltServer(config);
  const port = await server.listen();
  logger.info('cobalt backend listening', { port, host: config.http.host, env: config.env });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const deadline = setTimeout(() => {
      logger.error('graceful shutdown timed out, exiting');
      process.exit(1);
    }, config.shutdown.timeoutMs);
    deadline.unref();
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', errorFields(error));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

process.on('unhandledRejection', (reason) => {
  logger.error('unhandled promise rejection', errorFields(reason));
});
process.on('uncaughtException', (error) => {
  // State is unknown after an uncaught exception: log it and let the supervisor restart us.
  logger.error('uncaught exception, exiting', errorFields(error));
  process.exit(1);
});

main().catch((error: unknown) => {
  logger.error('failed to start', errorFields(error));
  process.exit(1);
});
