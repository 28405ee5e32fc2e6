/**
 * A bridge running inside mqx broker. The local side is a broker Session, no socket: it
 * subscribes to the local filters of the out/both rules, and its outlet (set only while the
 * remote connection is up) forwards deliveries to the remote. While the remote is down the
 * broker queues QoS 1/2 in the session like for any offline persistent client, and resends on
 * reconnect; so the bridge is lossless with the broker's own machinery (and as durable as its
 * sessions). Messages from the remote enter with broker.publish(), origin = the bridge session and
 * fromBridge set, so the broker never routes them back out through this bridge.
 */

import type { Broker } from '../broker/broker.js';
import { Message } from '../broker/message.js';
import { type Outgoing, Session, type SessionOutlet } from '../broker/session.js';
import type { Client, PublishOptions } from '../client/index.js';
import type { BridgeConfig } from '../config/broker-config.js';
import { RejectedError } from '../errors.js';
import type { ProtocolVersion, PublishPacket, QoS } from '../protocol/types.js';
import { Link } from './link.js';
import {
  dialTarget,
  localCleanSession,
  localClientId,
  NEVER_EXPIRES,
  notificationTopic,
  protocolVersionOf,
  remoteClientOptions,
} from './settings.js';
import { TopicMap } from './topic-map.js';

/**
 * A bridge session may hold this many messages while its remote is down, or max_queued_messages
 * when that is larger: the default 1000 is sized for one slow client, not for a site's traffic
 * during an outage. 0 (unlimited) stays unlimited.
 */
const BRIDGE_QUEUE_MINIMUM = 100_000;

export class BrokerBridge {
  readonly session: Session;
  readonly map: TopicMap;
  /** Messages forwarded per rule: to the remote, and from it. */
  readonly forwardedOut: number[];
  readonly forwardedIn: number[];
  private readonly link: Link;
  private readonly version: ProtocolVersion;
  private up = false;
  private linkRunning = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  /** Epoch ms of the last sign of traffic (start_type lazy). */
  private lastActivity = Date.now();

  constructor(
    private readonly broker: Broker,
    readonly config: BridgeConfig,
  ) {
    this.map = new TopicMap(config.topics);
    this.forwardedOut = config.topics.map(() => 0);
    this.forwardedIn = config.topics.map(() => 0);
    this.version = protocolVersionOf(config);
    this.session = this.openSession();
    this.link = new Link(
      {
        label: `Bridge ${config.name}`,
        targets: config.addresses.map((a) => dialTarget(config, a)),
        roundRobin: config.roundRobin,
        restartTimeout: config.restartTimeout,
        once: config.startType === 'once',
        client: remoteClientOptions(config),
        log: (level, message) => broker.log[level](message),
      },
      {
        up: (client, _connack, fresh) => this.onUp(client, fresh),
        down: () => this.onDown(),
        message: (packet) => this.onRemoteMessage(packet),
      },
    );
  }

  get name(): string {
    return this.config.name;
  }

  start(): void {
    if (this.config.startType === 'lazy') {
      this.lazyTimer = setInterval(() => this.checkLazy(), 1000);
      this.lazyTimer.unref();
      return;
    }
    this.connect();
  }

  private connect(): void {
    this.broker.log.notice(
      `Connecting bridge ${this.config.name} (${this.link.target.host}:${this.link.target.port})`,
    );
    this.linkRunning = true;
    this.lastActivity = Date.now();
    this.link.start();
  }

  /**
   * start_type lazy: connect once `threshold` messages wait for the remote; disconnect after
   * `idle_timeout` seconds with nothing waiting, in flight or crossing.
   */
  private checkLazy(): void {
    const session = this.session;
    if (!this.linkRunning) {
      if (session.queue.length >= this.config.threshold) this.connect();
      return;
    }
    if (session.queue.length > 0 || session.inflight.size > 0) this.lastActivity = Date.now();
    else if (Date.now() - this.lastActivity >= this.config.idleTimeout * 1000) {
      this.broker.log.notice(
        `Bridge ${this.config.name}: idle for ${this.config.idleTimeout} s; disconnecting (lazy).`,
      );
      this.linkRunning = false;
      this.onDown();
      this.link.stop().catch(() => undefined);
    }
  }

  /**
   * Disconnects. A bridge without local_cleansession keeps its session (and queue) in the broker
   * for its next run, unless it is being removed from the configuration (`forget`).
   */
  async stop(forget = false): Promise<void> {
    clearInterval(this.lazyTimer);
    this.detach();
    await this.link.stop();
    const total = (counts: number[]) => counts.reduce((a, n) => a + n, 0);
    this.broker.log.notice(
      `Bridge ${this.config.name} stopped; forwarded ${total(this.forwardedOut)} out, ${total(this.forwardedIn)} in.`,
    );
    this.notifyLocal('0');
    if (forget || localCleanSession(this.config)) this.broker.destroySession(this.session);
  }

  /** The session survives restarts (and reloads) under the same local client id. */
  private openSession(): Session {
    const { broker, config } = this;
    const id = localClientId(config);
    const session = broker.sessions.get(id) ?? broker.newSession(id);
    session.isBridge = true;
    session.username = config.localUsername;
    session.expiryInterval = localCleanSession(config) ? 0 : NEVER_EXPIRES;
    // Durable like any persistent session: its subscriptions and queue survive a restart.
    broker.store.sessionOpened(session, this.version);
    const limit = broker.config.maxQueuedMessages;
    session.maxQueuedMessages = limit === 0 ? 0 : Math.max(limit, BRIDGE_QUEUE_MINIMUM);
    const wanted = new Set<string>();
    for (const { filter, qos } of this.map.localSubscriptions()) {
      wanted.add(filter);
      broker.subscribe(
        session,
        Session.subscriptionFrom(
          session,
          { topicFilter: filter, qos, retainAsPublished: true },
          filter,
          '',
          0,
        ),
      );
    }
    // A kept session may hold subscriptions of rules that were removed since.
    for (const filter of [...session.subscriptions.keys()])
      if (!wanted.has(filter)) broker.unsubscribe(session, filter);
    return session;
  }

  private onUp(client: Client, fresh: boolean): void {
    const { config, map } = this;
    const v5 = this.version === 5;
    const subs = map.remoteSubscriptions();
    if (subs.length > 0) {
      client
        .subscribe(
          subs.map(({ filter, qos }) => ({
            topicFilter: filter,
            qos,
            ...(v5 ? { noLocal: true, retainAsPublished: true } : {}),
          })),
        )
        .then(
          (codes) => {
            codes.forEach((code, i) => {
              if (code >= 0x80)
                this.broker.log.warning(`Bridge ${config.name}: the remote refused '${subs[i]!.filter}'.`);
            });
          },
          () => undefined,
        );
    }
    const stale = map.outOnlyRemoteFilters();
    if (config.attemptUnsubscribe && !config.cleanSession && stale.length > 0)
      client.unsubscribe(stale).catch(() => undefined);
    if (config.notifications) {
      if (!config.notificationsLocalOnly)
        client.publish(notificationTopic(config), '1', { qos: 1, retain: true }).catch(() => undefined);
      this.notifyLocal('1');
    }
    this.up = true;
    this.session.outlet = new RemoteOutlet(this, client);
    // A new Client starts with nothing in flight: what the session had in flight goes again.
    if (fresh) this.broker.resume(this.session);
    else this.broker.pump(this.session);
  }

  private onDown(): void {
    if (!this.up) return;
    this.up = false;
    this.detach();
    if (this.config.notifications) this.notifyLocal('0');
  }

  private detach(): void {
    if (this.session.outlet instanceof RemoteOutlet) this.session.outlet = undefined;
  }

  /** Remote → local: acknowledged to the remote (by the Client) right after this returns. */
  private onRemoteMessage(packet: PublishPacket): void {
    const crossing = this.map.toLocal(packet.topic);
    if (crossing === undefined) return;
    const qos = Math.min(packet.qos, crossing.qos) as QoS;
    this.broker.publish(Message.fromPublish({ ...packet, qos }, this.session.clientId, true, crossing.topic));
    this.forwardedIn[crossing.rule]!++;
    this.lastActivity = Date.now();
  }

  private notifyLocal(state: '0' | '1'): void {
    if (!this.config.notifications) return;
    const topic = notificationTopic(this.config);
    this.broker.publish(
      new Message(topic, Buffer.from(state), 1, true, undefined, 0, this.session.clientId, true),
    );
  }

  /** A delivery the remote acknowledged, refused, or that no rule takes: the session is done with it. */
  complete(out: Outgoing | undefined): void {
    if (out === undefined) return;
    if (this.session.inflight.get(out.packetId) === out)
      this.broker.completeOutgoing(this.session, out.packetId);
  }

  log(message: string): void {
    this.broker.log.warning(`Bridge ${this.config.name}: ${message}`);
  }
}

/** The bridge session's outlet while the remote connection is up: deliveries go to the remote. */
class RemoteOutlet implements SessionOutlet {
  constructor(
    private readonly bridge: BrokerBridge,
    private readonly client: Client,
  ) {}

  get sendQuota(): number {
    const max = this.client.connack?.properties?.receiveMaximum ?? 65535;
    return Math.max(0, max - this.bridge.session.inflight.size);
  }

  sendPublish(out: Outgoing | undefined, message: Message, qos: QoS, retain: boolean): boolean {
    const bridge = this.bridge;
    const crossing = bridge.map.toRemote(message.topic);
    if (crossing === undefined) {
      // Completion re-enters the broker's pump; it must not run inside the broker's send loop.
      queueMicrotask(() => bridge.complete(out));
      return false;
    }
    const config = bridge.config;
    if (
      config.maxPacketSize > 0 &&
      message.payload.length + Buffer.byteLength(crossing.topic) + 16 > config.maxPacketSize
    ) {
      bridge.log(`dropped a message on '${message.topic}' larger than bridge_max_packet_size.`);
      queueMicrotask(() => bridge.complete(out));
      return false;
    }
    const options: PublishOptions = { qos, retain: retain && config.outgoingRetain };
    if (this.client.protocolVersion === 5) {
      const properties = message.propertiesAt(Date.now(), undefined);
      if (properties) options.properties = properties;
    }
    this.client.publish(crossing.topic, message.payload, options).then(
      () => {
        bridge.forwardedOut[crossing.rule]!++;
        bridge.complete(out);
      },
      (err: unknown) => {
        // A refusal is final; a lost connection leaves the delivery in flight for the resend.
        if (err instanceof RejectedError) {
          bridge.log(err.message);
          bridge.complete(out);
        }
      },
    );
    return true;
  }

  /**
   * The broker calls this when a network client connects with the bridge's local client id and
   * takes its session over (it expects a Connection there). The bridge keeps running and takes
   * the session back on its next connection; the log says what happened.
   */
  disconnectWith(_reasonCode: number, why: string): void {
    this.bridge.log(
      `a client connected with the bridge's local client id (${why}); choose another local_clientid.`,
    );
  }

  /**
   * Only for deliveries restored from an earlier run (this Client never sent them): their PUBREL
   * cannot be matched to a packet id of this connection, so the message goes again.
   */
  sendPubrel(packetId: number): void {
    const out = this.bridge.session.inflight.get(packetId);
    if (out === undefined) return;
    out.released = false;
    this.sendPublish(out, out.message, out.qos, out.retain);
  }
}
