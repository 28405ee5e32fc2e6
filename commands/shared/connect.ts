/**
 * Connecting with feedback for people: a spinner on a terminal while the broker is being reached
 * (it can take a while with --reconnect), and a line on stderr whenever the connection drops
 * and comes back. Scripts (no TTY) see only the stderr lines.
 */
import type { Client } from '../../src/client/client.js';
import { createLogger } from '../../src/output/logger.js';
import { startSpinner } from '../../src/output/spinner.js';

export async function connectWithFeedback(client: Client, debug: boolean): Promise<void> {
  const { host, port } = client.options.broker;
  const spinner = debug ? undefined : await startSpinner(`connecting to ${host}:${port}`);
  try {
    await client.connect();
  } finally {
    spinner?.stop();
  }
  if (client.options.reconnect) {
    const log = createLogger();
    client.on('offline', (err, delayMs) =>
      log.warn(`${err.message}; reconnecting in ${(delayMs / 1000).toFixed(1)} s`),
    );
    client.on('connect', () => log.info(`reconnected to ${host}:${port}`));
  }
}
