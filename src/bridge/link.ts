/**
 * One side of a bridge as a client connection that stays up: dials the bridge's addresses (in
 * failover or round-robin order), waits restart_timeout between attempts (decorrelated jitter, as
 * mosquitto), and gives every Client it makes one ClientSession, so that QoS 1/2 flows resume
 * under the same packet ids (DUP) on the kept remote session whether the Client reconnects or is
 * replaced; that is what makes QoS 2 exactly once through an outage. Inbound messages are
 * acknowledged by the receiver of the 'message' event, once it has them safe. start_type once
 * gives up after the first connection ends.
 */
import { Client, type ClientOptions, ClientSession } from '../client/index.js';
import type { ConnackPacket, PublishPacket } from '../protocol/types.js';
import { type DialOptions, dial } from '../transport/dial.js';

export interface LinkEvents {
  /** A connection was accepted. */
  up(client: Client, connack: ConnackPacket): void;
  /** The connection is gone: `final` when this Client is closed for good, else it reconnects. */
  down(reason: string, client: Client, final: boolean): void;
  /** A message from the broker; `ack` acknowledges it (PUBACK/PUBREC) and must be called once it is safe. */
  message(packet: PublishPacket, ack: () => void, client: Client): void;
}

export interface LinkOptions {
  /** For log lines: "bridge NAME to HOST:PORT". */
  label: string;
  /** The bridge's addresses in order; after a failure or a loss the next one is tried. */
  targets: DialOptions[];
  /**
   * false (mosquitto's default): the first address is the main one, and while connected to
   * another the link checks the main one every restart_timeout cap and goes back when it answers.
   */
  roundRobin: boolean;
  /** Seconds: [base, cap]. */
  restartTimeout: [number, number];
  once: boolean;
  /** Without a `session`, the link makes one for all its Clients. */
  client: Omit<ClientOptions, 'broker'>;
  log(level: 'notice' | 'warning', message: string): void;
}

/** How long one attempt may take to reach CONNACK before the next address is tried. */
const ATTEMPT_TIMEOUT_MS = 10_000;

export class Link {
  private client: Client | undefined;
  private readonly session: ClientSession;
  private index = 0;
  private stopped = false;
  private wake: (() => void) | undefined;
  private sleepMs = 0;
  private running: Promise<void> | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  /** Set when the main address answered while connected to a secondary one. */
  private backToMain = false;

  constructor(
    private readonly options: LinkOptions,
    private readonly events: LinkEvents,
  ) {
    this.session = options.client.session ?? new ClientSession();
  }

  /** The Client while its connection is up. */
  get connected(): Client | undefined {
    return this.client?.connected ? this.client : undefined;
  }

  get target(): DialOptions {
    return this.options.targets[this.index]!;
  }

  start(): void {
    this.stopped = false;
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  /** Disconnects cleanly (the will is not published) and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.probeTimer);
    this.wake?.();
    const client = this.client;
    this.client = undefined;
    await client?.end({ timeoutMs: 1_000 }).catch(() => undefined);
    await this.running;
  }

  private async run(): Promise<void> {
    let first = true;
    while (!this.stopped) {
      if (this.backToMain) {
        this.backToMain = false;
        this.index = 0;
      } else if (!first) {
        this.advance();
        await this.pause(this.nextDelay());
        if (this.stopped) return;
      }
      first = false;
      const ended = await this.attempt();
      if (ended === 'connected-then-lost' && this.options.once) {
        this.options.log(
          'notice',
          `${this.options.label}: connection ended; start_type once, not restarting.`,
        );
        return;
      }
      if (ended === 'connected-then-lost') this.sleepMs = 0;
    }
  }

  /** One Client from its first dial to its end; resolves how it ended. */
  private attempt(): Promise<'failed' | 'connected-then-lost'> {
    const { client: base, restartTimeout } = this.options;
    const client = new Client({
      ...base,
      session: this.session,
      manualAck: true,
      broker: this.target,
      reconnect: false,
      connectTimeoutMs: ATTEMPT_TIMEOUT_MS,
    });
    this.client = client;
    const where = `${this.target.host}:${this.target.port}`;
    client.on('message', (packet, ack) => this.events.message(packet, ack, client));
    return new Promise((resolve) => {
      let wasUp = false;
      client.on('connect', (connack) => {
        this.options.log('notice', `${this.options.label}: connected to ${this.describe()}.`);
        wasUp = true;
        this.events.up(client, connack);
        this.watchMain(client);
      });
      client.on('offline', (error) => {
        this.options.log(
          'notice',
          `${this.options.label}: connection lost (${error.message}); reconnecting.`,
        );
        clearInterval(this.probeTimer);
        this.events.down(error.message, client, false);
        // The Client dials options.broker on every attempt: move on to the next address.
        this.advance();
        client.options.broker = this.target;
      });
      client.on('close', (error) => {
        clearInterval(this.probeTimer);
        if (this.client === client) this.client = undefined;
        if (wasUp && error)
          this.options.log('notice', `${this.options.label}: connection closed (${error.message}).`);
        if (wasUp) this.events.down(error?.message ?? 'stopped', client, true);
        resolve(wasUp ? 'connected-then-lost' : 'failed');
      });
      client.connect().then(
        () => {
          if (this.stopped || this.options.once) return;
          // Only now: the first connection is tried once per address, then the link moves on.
          client.options.reconnect = {
            minDelayMs: restartTimeout[0] * 1000,
            maxDelayMs: restartTimeout[1] * 1000,
          };
        },
        (err: Error) => {
          if (!this.stopped)
            this.options.log(
              'notice',
              `${this.options.label}: connecting to ${where} failed: ${err.message}`,
            );
        },
      );
    });
  }

  /** Failover mode on a secondary address: probe the main one, and end this connection once it answers. */
  private watchMain(client: Client): void {
    clearInterval(this.probeTimer);
    if (this.options.roundRobin || this.options.once || this.index === 0) return;
    const main = this.options.targets[0]!;
    this.probeTimer = setInterval(() => {
      dial({ ...main, timeoutMs: 5_000 }).then(
        (probe) => {
          probe.destroy();
          if (this.client !== client || !client.connected || this.backToMain) return;
          clearInterval(this.probeTimer);
          this.options.log(
            'notice',
            `${this.options.label}: main address ${main.host}:${main.port} is back; switching.`,
          );
          this.backToMain = true;
          this.events.down('switching to the main address', client, false);
          client.end({ timeoutMs: 10_000 }).catch(() => undefined);
        },
        () => undefined,
      );
    }, Math.max(1, this.options.restartTimeout[1]) * 1000);
    this.probeTimer.unref();
  }

  private describe(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  /** Next address, wrapping round to the first. */
  private advance(): void {
    this.index = (this.index + 1) % this.options.targets.length;
  }

  /** Decorrelated jitter between base and cap; a single restart_timeout value is a fixed delay. */
  private nextDelay(): number {
    const [base, cap] = this.options.restartTimeout.map((s) => s * 1000) as [number, number];
    if (base === cap) return base;
    const upper = Math.max(base, this.sleepMs * 3);
    this.sleepMs = Math.min(cap, base + Math.random() * (upper - base));
    return this.sleepMs;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
