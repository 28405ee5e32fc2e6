/**
 * Publishing at a pace the broker can take: `mqx pub` (-l, --repeat) and its simulated devices
 * keep up to `limit` messages unacknowledged, enough to keep the pipe full, bounded so that a
 * whole file is never buffered. The first failure stops everything.
 */
import type { Properties, QoS } from '../protocol/types.js';
import type { Client } from './client.js';

export interface PublisherDefaults {
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

export class Publisher {
  private outstanding = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: Client,
    private readonly defaults: PublisherDefaults,
    /** Counts the acknowledged publishes, for the summary at Ctrl-C. */
    private readonly sent: { count: number },
    private readonly limit: number,
  ) {}

  /** `options` overrides the publisher's QoS and retain flag for this message. */
  async send(
    topic: string,
    payload: Buffer | string,
    options?: { qos?: QoS; retain?: boolean },
  ): Promise<void> {
    while (this.outstanding >= this.limit && !this.failure) await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
    this.outstanding++;
    this.client.publish(topic, payload, options ? { ...this.defaults, ...options } : this.defaults).then(
      () => {
        this.sent.count++;
        this.settle();
      },
      (err: Error) => {
        this.failure ??= err;
        this.settle();
      },
    );
  }

  private settle(): void {
    this.outstanding--;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits for every publish; throws the first failure. */
  async drain(): Promise<void> {
    while (this.outstanding > 0) await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
  }
}
