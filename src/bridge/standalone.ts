/**
 * A bridge between two brokers reached over the network (`mqx bridge`): one Link to each side,
 * the same topic rules, settings and loop marks as the in-broker bridge. Both sessions are
 * persistent by default, so each broker keeps what is meant for the bridge while the bridge is
 * away; while one side is down, what arrives from the other waits in the Client's offline queue
 * (or here, between Clients) and goes once the side is back.
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
}

/** While a side is down, at most this many messages wait for it (per direction). */
const HOLD_LIMIT = 1_000_000;

/** One direction: publishes to a side through whichever Client is up, holding messages meanwhile. */
class Outbox {
  private client: Client | undefined;
  private readonly held: Pending[] = [];
  dropped = 0;

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
      if (this.held.length >= HOLD_LIMIT) {
        this.dropped++;
        return;
      }
      this.held.push(p);
      return;
    }
    client.publish(p.topic, p.payload, p.options).then(
      () => this.counts[p.rule]!++,
      (err: unknown) => {
        // The Client died with it in flight: send it again through the next one.
        if (err instanceof ConnectionError) this.send(p);
        else this.log(`message to '${p.topic}' dropped: ${(err as Error).message}`);
      },
    );
  }
}

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

  constructor(
    readonly config: BridgeConfig,
    localBroker: DialOptions,
    log: BridgeLog,
  ) {
    this.map = new TopicMap(config.topics);
    this.forwardedOut = config.topics.map(() => 0);
    this.forwardedIn = config.topics.map(() => 0);
    this.v5 = protocolVersionOf(config) === 5;
    const note = (message: string) => log(`bridge ${config.name}: ${message}`);
    this.toRemote = new Outbox(this.forwardedOut, note);
    this.toLocal = new Outbox(this.forwardedIn, note);
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
        client: { ...remoteOptions, offlineQueueLimit: HOLD_LIMIT },
      },
      {
        up: (client) => this.remoteUp(client),
        down: (_reason, client, final) => this.sideDown('remote', client, final),
        message: (packet) => this.fromRemote(packet),
      },
    );
    const localOptions = {
      protocolVersion: remoteOptions.protocolVersion,
      clientId: localClientId(config),
      clean: localCleanSession(config),
      keepalive: config.keepaliveInterval,
      bridge: remoteOptions.bridge,
      offlineQueueLimit: HOLD_LIMIT,
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
        message: (packet) => this.fromLocal(packet),
      },
    );
  }

  start(): void {
    this.local.start();
    this.remote.start();
  }

  async stop(): Promise<void> {
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

  /** A reconnecting Client keeps taking messages (its offline queue); a closed one no longer can. */
  private sideDown(side: 'local' | 'remote', client: Client, final: boolean): void {
    this.state[side] = false;
    if (final) (side === 'local' ? this.toLocal : this.toRemote).detach(client);
    const local = this.local.connected;
    if (side === 'remote' && local) this.notify(local, '0');
  }

  private notify(client: Client, state: '0' | '1'): void {
    if (!this.config.notifications) return;
    client.publish(notificationTopic(this.config), state, { qos: 1, retain: true }).catch(() => undefined);
  }

  private fromLocal(packet: PublishPacket): void {
    const crossing = this.map.toRemote(packet.topic);
    if (crossing === undefined) return;
    const retain = packet.retain && this.config.outgoingRetain;
    this.toRemote.send(this.pending(packet, crossing.topic, crossing.qos, retain, crossing.rule));
  }

  private fromRemote(packet: PublishPacket): void {
    const crossing = this.map.toLocal(packet.topic);
    if (crossing === undefined) return;
    this.toLocal.send(this.pending(packet, crossing.topic, crossing.qos, packet.retain, crossing.rule));
  }

  private pending(
    packet: PublishPacket,
    topic: string,
    ruleQos: QoS,
    retain: boolean,
    rule: number,
  ): Pending {
    const options: PublishOptions = { qos: Math.min(packet.qos, ruleQos) as QoS, retain };
    if (this.v5 && packet.properties) {
      const { topicAlias: _alias, subscriptionIdentifiers: _ids, ...properties } = packet.properties;
      options.properties = properties;
    }
    return { topic, payload: packet.payload, options, rule };
  }
}
