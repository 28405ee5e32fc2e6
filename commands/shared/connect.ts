/**
 * Connecting with feedback for people: a spinner on a terminal while the broker is being reached
 * (it can take a while with --reconnect), and a line on stderr whenever the connection drops
 * and comes back. Scripts (no TTY) see only the stderr lines.
 */
import type { Client } from '../../src/client/client.js';
import type { ReconnectOptions } from '../../src/client/options.js';
import { createLogger } from '../../src/output/logger.js';
import { type Spinner, startSpinner } from '../../src/output/spinner.js';

/**
 * A connection that takes less gets no spinner: loading ora takes about 100 ms, far more than
 * reaching a nearby broker, and a spinner that flashes for a moment tells nobody anything.
 */
const SPINNER_DELAY_MS = 150;

/**
 * `reconnectLater`: reconnect with this backoff once the first connection is accepted, so that a
 * broker that is not there fails the command at once but a broker restart does not end it.
 */
export async function connectWithFeedback(
  client: Client,
  debug: boolean,
  reconnectLater?: ReconnectOptions,
): Promise<void> {
  const { host, port } = client.options.broker;
  let connecting = true;
  let spinner: Spinner | undefined;
  const timer = debug
    ? undefined
    : setTimeout(() => {
        startSpinner(`connecting to ${host}:${port}`).then(
          (started) => {
            if (connecting) spinner = started;
            else started.stop();
          },
          // A spinner that cannot start is no reason to fail the run.
          () => undefined,
        );
      }, SPINNER_DELAY_MS);
  try {
    await client.connect();
  } finally {
    connecting = false;
    clearTimeout(timer);
    spinner?.stop();
  }
  if (reconnectLater) client.options.reconnect = reconnectLater;
  if (client.options.reconnect) {
    const log = createLogger();
    client.on('offline', (err, delayMs) =>
      log.warn(`${err.message}; reconnecting in ${(delayMs / 1000).toFixed(1)} s`),
    );
    client.on('connect', () => log.info(`reconnected to ${host}:${port}`));
  }
}
