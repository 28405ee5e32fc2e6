/**
 * A bridge between two brokers reached over the network (`mqx bridge`): one Link to each side,
 * the same topic rules, settings and loop marks as the in-broker bridge. Both sessions are
 * persistent by default, so each broker keeps what is meant for the bridge while the bridge is
 * away. A QoS 1/2 message is acknowledged to the broker it came from only once the other broker
 * has acknowledged the copy forwarded to it; until then it stays in the first broker's session,
 * which sends it again if the bridge goes (even by kill -9). So the messages crossing live in the
 * brokers, never only in this process; while a side is down, what arrives from the other waits
 * here, unacknowledged, and goes once the side is back.
 */
import type { Client, PublishOptions } from '../client/index.js';
import type { BridgeConfig } from '../config/broker-config.js';
import { ConnectionError } from '../errors.js';
import type { PublishPacket, QoS } from '../protocol/types.js';
import type { DialOptions } from '../transport/dial.js';
import { Link } from './link.js';
import {
  BRIDGE_INFLIGHT,
  dialTarget,
  exceedsMaxPacketSize,
  localCleanSession,
  localClientId,
  notificationTopic,
  protocolVersionOf,
  remoteClientOptions,
} from './settings.js';
import { TopicMap } from './topic-map.js';

export type BridgeLog = (message: string) => void;

interface Pending {
  topic: string;
  payload: Buffer;
  options: PublishOptions;
  rule: number;
  /** Acknowledges the message to the broker it came from. */
  ack: () => void;
}

/**
 * While a side is down, at most this many QoS 0 messages wait for it (per direction). QoS 1/2
 * ones are bounded by what the other broker sends before the bridge acknowledges any.
 */
const HOLD_LIMIT = 100_000;

/** One direction: publishes to a side through whichever Client is up, holding messages meanwhile. */
class Outbox {
  private client: Client | undefined;
  private readonly held: Pending[] = [];
  /** Publishes handed to a Client and not yet settled, so a stop can wait for their acknowledgements. */
  private unsettled = 0;

  constructor(
    private readonly counts: number[],
    private readonly log: BridgeLog,
  ) {}

  attach(client: Client): void {
    this.client = client;
    for (const p of this.held.splice(0)) this.send(p);
  }

  detach(client: Client): void {
    if (this.client === client) this.client = undefined;
  }

  send(p: Pending): void {
    const client = this.client;
    if (client === undefined) {
      if (p.options.qos !== 0 || this.held.length < HOLD_LIMIT) this.held.push(p);
      return;
    }
    this.unsettled++;
    client.publish(p.topic, p.payload, p.options).then(
      () => {
        this.unsettled--;
        this.counts[p.rule]!++;
        p.ack();
      },
      (err: unknown) => {
        this.unsettled--;
        // The Client closed before sending it (what it had sent, its session sends again): the
        // next Client takes it. Held, not sent again at once, should this one still be attached.
        if (err instanceof ConnectionError) {
          if (this.client === client) this.held.push(p);
          else this.send(p);
          return;
        }
        // Refused for good: holding it back would only stop every later acknowledgement.
        this.log(`message to '${p.topic}' dropped: ${(err as Error).message}`);
        p.ack();
      },
    );
  }

  /** Resolves once every publish handed to a Client has settled, or after `ms`. */
  async drained(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.unsettled > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }
}

/** How long a stop waits for the other side to acknowledge what was already forwarded. */
const DRAIN_MS = 3000;

export class StandaloneBridge {
  readonly map: TopicMap;
  readonly forwardedOut: number[];
  readonly forwardedIn: number[];
  readonly state = { local: false, remote: false };
  private readonly toRemote: Outbox;
  private readonly toLocal: Outbox;
  private readonly local: Link;
  private readonly remote: Link;
  private readonly v5: boolean;
  private readonly log: BridgeLog;

  private stopping = false;

  /** `ended`: with start_type once, a side whose connection was lost and is not restarted. */
  constructor(
    readonly config: BridgeConfig,
    localBroker: DialOptions,
    log: BridgeLog,
    private readonly ended?: (side: 'local' | 'remote') => void,
  ) {
    this.map = new TopicMap(config.topics);
    this.forwardedOut = config.topics.map(() => 0);
    this.forwardedIn = config.topics.map(() => 0);
    this.v5 = protocolVersionOf(config) === 5;
    this.log = (message: string) => log(`bridge ${config.name}: ${message}`);
    this.toRemote = new Outbox(this.forwardedOut, this.log);
    this.toLocal = new Outbox(this.forwardedIn, this.log);
    const common = {
      restartTimeout: config.restartTimeout,
      once: config.startType === 'once',
      log: (_level: string, message: string) => log(message),
    };
    const remoteOptions = remoteClientOptions(config);
    this.remote = new Link(
      {
        ...common,
        label: `bridge ${config.name} (remote)`,
        targets: config.addresses.map((a) => dialTarget(config, a)),
        roundRobin: config.roundRobin,
        client: remoteOptions,
      },
      {
        up: (client) => this.remoteUp(client),
        down: (_reason, client, final) => this.sideDown('remote', client, final),
        message: (packet, ack) => this.fromRemote(packet, ack),
      },
    );
    const localOptions = {
      protocolVersion: remoteOptions.protocolVersion,
      clientId: localClientId(config),
      clean: localCleanSession(config),
      keepalive: config.keepaliveInterval,
      bridge: remoteOptions.bridge,
      maxInflight: BRIDGE_INFLIGHT,
      ...(config.localUsername !== undefined ? { username: config.localUsername } : {}),
      ...(config.localPassword !== undefined ? { password: config.localPassword } : {}),
      ...(this.v5 && !localCleanSession(config) ? { sessionExpiry: 0xffffffff } : {}),
    };
    this.local = new Link(
      {
        ...common,
        label: `bridge ${config.name} (local)`,
        targets: [localBroker],
        roundRobin: false,
        client: localOptions,
      },
      {
        up: (client) => this.localUp(client),
        down: (_reason, client, final) => this.sideDown('local', client, final),
        message: (packet, ack) => this.fromLocal(packet, ack),
      },
    );
  }

  start(): void {
    this.local.start();
    this.remote.start();
  }

  /**
   * Stops after what was forwarded is acknowledged on the other side and so acknowledged to its
   * source: a message acknowledged on neither side would be forwarded again by the next run.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.toRemote.drained(DRAIN_MS), this.toLocal.drained(DRAIN_MS)]);
    await Promise.all([this.local.stop(), this.remote.stop()]);
  }

  private subscribe(client: Client, subs: Array<{ filter: string; qos: 0 | 1 | 2 }>): void {
    if (subs.length === 0) return;
    client
      .subscribe(
        subs.map(({ filter, qos }) => ({
          topicFilter: filter,
          qos,
          ...(this.v5 ? { noLocal: true, retainAsPublished: true } : {}),
        })),
      )
      .catch(() => undefined);
  }

  private localUp(client: Client): void {
    this.state.local = true;
    this.subscribe(client, this.map.localSubscriptions());
    this.toLocal.attach(client);
    if (this.state.remote) this.notify(client, '1');
  }

  private remoteUp(client: Client): void {
    const config = this.config;
    this.state.remote = true;
    this.subscribe(client, this.map.remoteSubscriptions());
    const stale = this.map.outOnlyRemoteFilters();
    if (config.attemptUnsubscribe && !config.cleanSession && stale.length > 0)
      client.unsubscribe(stale).catch(() => undefined);
    if (!config.notificationsLocalOnly) this.notify(client, '1');
    const local = this.local.connected;
    if (local) this.notify(local, '1');
    this.toRemote.attach(client);
  }

  /** Until the side is up again, messages for it wait in its Outbox. */
  private sideDown(side: 'local' | 'remote', client: Client, final: boolean): void {
    this.state[side] = false;
    if (final && !this.stopping && this.config.startType === 'once') this.ended?.(side);
    (side === 'local' ? this.toLocal : this.toRemote).detach(client);
    const local = this.local.connected;
    if (side === 'remote' && local) this.notify(local, '0');
  }

  private notify(client: Client, state: '0' | '1'): void {
    if (!this.config.notifications) return;
    client.publish(notificationTopic(this.config), state, { qos: 1, retain: true }).catch(() => undefined);
  }

  private fromLocal(packet: PublishPacket, ack: () => void): void {
    const crossing = this.map.toRemote(packet.topic);
    if (crossing === undefined) {
      ack();
      return;
    }
    if (exceedsMaxPacketSize(this.config, crossing.topic, packet.payload)) {
      this.log(`dropped a message on '${packet.topic}' larger than bridge_max_packet_size.`);
      ack();
      return;
    }
    const retain = packet.retain && this.config.outgoingRetain;
    this.toRemote.send(this.pending(packet, crossing.topic, crossing.qos, retain, crossing.rule, ack));
  }

  private fromRemote(packet: PublishPacket, ack: () => void): void {
    const crossing = this.map.toLocal(packet.topic);
    if (crossing === undefined) {
      ack();
      return;
    }
    this.toLocal.send(this.pending(packet, crossing.topic, crossing.qos, packet.retain, crossing.rule, ack));
  }

  private pending(
    packet: PublishPacket,
    topic: string,
    ruleQos: QoS,
    retain: boolean,
    rule: number,
    ack: () => void,
  ): Pending {
    const options: PublishOptions = { qos: Math.min(packet.qos, ruleQos) as QoS, retain };
    if (this.v5 && packet.properties) {
      const { topicAlias: _alias, subscriptionIdentifiers: _ids, ...properties } = packet.properties;
      options.properties = properties;
    }
    return { topic, payload: packet.payload, options, rule, ack };
  }
}
