/**
 * What every probe step shares: the report being filled in, the random topic prefix and client
 * ids, the time budget, and the connections: each is tracked, so that a step that overruns the
 * budget is cut short, and what must be undone (a retained message, a kept session) is queued as
 * a clean-up that runs whatever happened.
 */
import { randomBytes } from 'node:crypto';
import type { ClientOptions } from '../client/options.js';
import type { ProtocolVersion, QoS } from '../protocol/types.js';
import { ProbeConnection } from './connection.js';

export interface ProbeReport {
  broker: string;
  protocols: { '3.1': boolean; '3.1.1': boolean; '5.0': boolean };
  maxQos: QoS | null;
  retain: boolean | null;
  wildcards: boolean | null;
  sharedSubscriptions: boolean | null;
  subscriptionIdentifiers: boolean | null;
  topicAliasMaximum: number | null;
  receiveMaximum: number | null;
  /** Advertised in CONNACK, else the largest PUBLISH found by trying; null: neither. */
  maximumPacketSize: number | null;
  /** A session kept across a reconnect. */
  sessionExpiry: boolean | null;
  /** Messages for an offline session delivered on its return. */
  offlineQueue: boolean | null;
  will: boolean | null;
  willDelay: boolean | null;
  sys: boolean | null;
  serverKeepAlive: number | null;
  limits: { topicLength: LimitReport | null; topicDepth: LimitReport | null; payload: LimitReport | null };
  /** How each answer was found, by key. */
  found: Record<string, string>;
  durationMs: number;
}

export interface LimitReport {
  value: number | null;
  /** false: a lower bound (the search stopped at its cap or its trial budget). */
  exact: boolean;
}

export interface ProbeOptions {
  /** broker, credentials, TLS: what the user gave; version, id and session are the probe's. */
  client: ClientOptions;
  budgetMs: number;
  /** Largest payload tried, bytes. */
  payloadCap: number;
  /** Progress lines for people (stderr). */
  log?: (line: string) => void;
}

/** A step that found the budget spent. */
export class OutOfTime extends Error {}

/** A message to ourselves arrives within this, or the broker did not deliver it. */
export const ROUND_TRIP_MS = 1_500;

export function emptyReport(broker: string): ProbeReport {
  return {
    broker,
    protocols: { '3.1': false, '3.1.1': false, '5.0': false },
    maxQos: null,
    retain: null,
    wildcards: null,
    sharedSubscriptions: null,
    subscriptionIdentifiers: null,
    topicAliasMaximum: null,
    receiveMaximum: null,
    maximumPacketSize: null,
    sessionExpiry: null,
    offlineQueue: null,
    will: null,
    willDelay: null,
    sys: null,
    serverKeepAlive: null,
    limits: { topicLength: null, topicDepth: null, payload: null },
    found: {},
    durationMs: 0,
  };
}

export class ProbeContext {
  readonly started = Date.now();
  readonly prefix = `mqx-probe/${randomBytes(6).toString('hex')}`;
  readonly idBase = `mqxp-${randomBytes(4).toString('hex')}`;
  readonly report: ProbeReport;
  /** The version most checks use: the newest the broker accepts. */
  main: ProtocolVersion = 4;
  /** Trials of sizes go by 3.1.1 where possible: a 5.0 client keeps itself under the advertised maximum. */
  plain: ProtocolVersion = 4;
  private readonly deadline: number;
  private ids = 0;
  private readonly live = new Set<ProbeConnection>();
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(readonly options: ProbeOptions) {
    this.deadline = this.started + options.budgetMs;
    const { host, port } = options.client.broker;
    this.report = emptyReport(`${host}:${port}`);
  }

  get found(): Record<string, string> {
    return this.report.found;
  }

  left(): number {
    return this.deadline - Date.now();
  }

  /** `ms`, or what is left of the budget if less; OutOfTime when nothing is. */
  bounded(ms: number): number {
    if (this.left() <= 0) throw new OutOfTime();
    return Math.min(ms, this.left());
  }

  /** QoS 1 where the broker allows it: an acknowledged publish, and one an offline session queues. */
  qos1(): QoS {
    return this.report.maxQos === 0 ? 0 : 1;
  }

  add(key: string, text: string): void {
    this.found[key] = this.found[key] ? `${this.found[key]}; ${text}` : text;
  }

  open(version: ProtocolVersion, extra: Partial<ClientOptions> = {}): Promise<ProbeConnection> {
    return this.connect(version, extra, this.bounded(5_000));
  }

  /** Cleaning up is not bounded by the budget: a little past it beats leaving state behind. */
  cleanup(
    version: ProtocolVersion,
    extra: Partial<ClientOptions>,
    then?: (c: ProbeConnection) => Promise<unknown>,
  ): void {
    this.cleanups.push(async () => {
      const c = await this.connect(version, extra, 5_000);
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise((resolve) => (timer = setTimeout(resolve, 3_000)));
      await Promise.race([then?.(c).catch(() => undefined), bound]);
      clearTimeout(timer);
      await c.close();
    });
  }

  async runCleanups(): Promise<void> {
    for (const run of this.cleanups.splice(0)) await run().catch(() => undefined);
  }

  /** Runs one check; a failure is noted as its answer. A broker that stops answering cannot hold it past the budget. */
  async step(name: string, run: () => Promise<void>): Promise<void> {
    this.options.log?.(`probing ${name}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => {
              for (const c of this.live) c.kill();
              reject(new OutOfTime());
            },
            Math.max(0, this.left()),
          );
        }),
      ]);
    } catch (err) {
      if (err instanceof OutOfTime) this.add(name, 'not tried: out of time');
      else this.add(name, `failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async connect(
    version: ProtocolVersion,
    extra: Partial<ClientOptions>,
    connectTimeoutMs: number,
  ): Promise<ProbeConnection> {
    const c = await ProbeConnection.open({
      ...this.options.client,
      protocolVersion: version,
      clientId: `${this.idBase}-${++this.ids}`,
      clean: true,
      keepalive: 30,
      connectTimeoutMs,
      ...extra,
    });
    this.live.add(c);
    c.client.once('close', () => this.live.delete(c));
    return c;
  }
}
