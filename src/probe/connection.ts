/**
 * One probe connection: a Client whose messages are kept so that a check can wait for the one it
 * expects, with a bound. A connection the broker drops (a too large packet, a refused retain)
 * reports that instead of throwing, because for a probe it is an answer.
 */
import { Client } from '../client/client.js';
import type { ClientOptions } from '../client/options.js';
import type { PublishPacket } from '../protocol/types.js';

export class ProbeConnection {
  readonly messages: PublishPacket[] = [];
  closed = false;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly client: Client) {
    client.on('message', (packet) => {
      this.messages.push(packet);
      for (const w of this.waiters) w();
    });
    client.on('close', () => {
      this.closed = true;
      for (const w of this.waiters) w();
    });
  }

  static async open(options: ClientOptions): Promise<ProbeConnection> {
    const client = new Client({ ...options, reconnect: false });
    const connection = new ProbeConnection(client);
    await client.connect();
    return connection;
  }

  /** The first message kept that satisfies `match`, waiting up to `ms`; undefined when none came. */
  async waitFor(match: (p: PublishPacket) => boolean, ms: number): Promise<PublishPacket | undefined> {
    const found = () => this.messages.find(match);
    if (found() || this.closed) return found();
    return new Promise((resolve) => {
      const check = () => {
        const m = found();
        if (m || this.closed) finish(m);
      };
      const finish = (m: PublishPacket | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(m);
      };
      const timer = setTimeout(() => finish(undefined), ms);
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.client.end({ timeoutMs: 1_000 }).catch(() => undefined);
  }

  /** Drops the connection without DISCONNECT, so that the broker publishes the will. */
  kill(): void {
    this.client.destroy();
  }
}
