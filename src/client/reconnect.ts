/**
 * When to try again: exponential backoff with jitter (backoff.ts), for network failures only (a
 * refusal or a timeout is an answer, not a hiccup), and no more than ReconnectOptions.maxAttempts
 * failed attempts in a row.
 */
import { ConnectionError, type MqxError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import type { ReconnectOptions } from './options.js';

export class Reconnection {
  /** Failed attempts since the last accepted CONNACK. */
  attempts = 0;

  /** Read at each decision: a caller may turn reconnecting on once the first connection is up. */
  constructor(private readonly current: () => ReconnectOptions | false | undefined) {}

  private get options(): ReconnectOptions | false | undefined {
    return this.current();
  }

  get enabled(): boolean {
    return this.options !== undefined && this.options !== false;
  }

  /** A CONNACK accepted the connection: the backoff starts over. */
  succeeded(): void {
    this.attempts = 0;
  }

  /** connect() failed with `error`: the delay before trying again, or undefined to give up. */
  afterFailedConnect(error: MqxError): number | undefined {
    const options = this.options;
    if (!options) return undefined;
    const delay = this.delay(options);
    const exhausted = options.maxAttempts !== undefined && this.attempts >= options.maxAttempts;
    return error instanceof ConnectionError && !exhausted ? delay : undefined;
  }

  /** A live connection was lost, or a reconnect failed: the delay before the next, or undefined to give up. */
  beforeReconnect(): number | undefined {
    const options = this.options;
    if (!options) return undefined;
    if (options.maxAttempts !== undefined && this.attempts >= options.maxAttempts) return undefined;
    return this.delay(options);
  }

  private delay(options: ReconnectOptions): number {
    return backoffDelay(this.attempts++, { minMs: options.minDelayMs, maxMs: options.maxDelayMs });
  }
}
