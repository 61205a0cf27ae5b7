#!/usr/bin/env node
/** The production entry: runs the platform against the services named by environment variables. */
import { ConfigError, logger } from '@lifeline/core/node';
import { startPlatform } from './platform.js';

const log = logger('main');

try {
  const platform = await startPlatform();
  let signals = 0;
  const shutdown = (sig: string) => {
    if (signals++ > 0) {
      log.warn('second signal: exiting at once');
      process.exit(1);
    }
    log.info({ sig }, 'shutting down');
    void platform.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  const message = err instanceof ConfigError ? `configuration: ${err.message}` : (err as Error).message;
  log.fatal(message);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
}
