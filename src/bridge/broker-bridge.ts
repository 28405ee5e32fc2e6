/**
 * A bridge running inside mqx broker. The local side is a broker Session, no socket: it
 * subscribes to the local filters of the out/both rules, and its outlet (set only while the
 * remote connection is up) forwards deliveries to the remote. While the remote is down the
 * broker queues QoS 1/2 in the session like for any offline persistent client; so the bridge is
 * lossless with the broker's own machinery (and as durable as its sessions).
 *
 * A delivery goes to the remote under the packet id the broker session gave it, and its PUBREC is
 * recorded in the session as a Connection's is; so the session (in the store, with persistence)
 * is also the record of the remote flows, and after a restart they resume under the same ids: the
 * PUBLISH with DUP, or PUBREL, never a QoS 2 message under a new id that the remote would deliver
 * twice. The remote Clients' own packets (SUBSCRIBE, the state notification) use other ids.
 *
 * Messages from the remote enter with broker.publish(), origin = the bridge session and fromBridge
 * set, so the broker never routes them back out through this bridge; they are acknowledged to the
 * remote only once the store has committed them. A copy of a message that already crossed into
 * this broker by another path or round a cycle is acknowledged and dropped (hop-guard.ts).
 */

import type { Broker } from '../broker/broker.js';
import type { FlowSource } from '../broker/flow-control.js';
import { Message } from '../broker/message.js';
import { type Outgoing, Session, type SessionOutlet } from '../broker/session.js';
import { type Client, ClientSession, type PublishOptions } from '../client/index.js';
import type { BridgeConfig } from '../config/broker-config.js';
import { RejectedError } from '../errors.js';
import type { ProtocolVersion, PublishPacket, QoS } from '../protocol/types.js';
import { Link } from './link.js';
import {
  dialTarget,
  exceedsMaxPacketSize,
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
  /** The remote side of the session, shared by the link's Clients. */
  private readonly remoteSession: ClientSession;
  /** Deliveries handed to a Client that has not settled them yet. */
  private readonly carried = new Set<Outgoing>();
  /** Acknowledgements to the remote waiting for the store to commit their messages. */
  private readonly dueAcks: Array<() => void> = [];
  private readonly version: ProtocolVersion;
  private up = false;
  private linkRunning = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  /** Epoch ms of the last sign of traffic (start_type lazy). */
  private lastActivity = Date.now();
  /**
   * Messages from the remote, for flow control: while a local session they feed is congested the
   * remote's socket is not read, so the remote holds them (its own queue and flow control).
   */
  private readonly flowSource: FlowSource = {
    flowBlockers: 0,
    pauseFeeding: () => this.remote?.pauseReading(),
    resumeFeeding: () => this.remote?.resumeReading(),
  };

  constructor(
    private readonly broker: Broker,
    readonly config: BridgeConfig,
  ) {
    this.map = new TopicMap(config.topics);
    this.forwardedOut = config.topics.map(() => 0);
    this.forwardedIn = config.topics.map(() => 0);
    this.version = protocolVersionOf(config);
    this.session = this.openSession();
    const session = this.session;
    this.remoteSession = new ClientSession({ reserved: (id) => session.inflight.has(id) });
    const remoteSession = this.remoteSession;
    session.packetIdTaken = (id) => remoteSession.ids.has(id);
    this.link = new Link(
      {
        label: `Bridge ${config.name}`,
        targets: config.addresses.map((a) => dialTarget(config, a)),
        roundRobin: config.roundRobin,
        restartTimeout: config.restartTimeout,
        once: config.startType === 'once',
        client: { ...remoteClientOptions(config), session: this.remoteSession },
        log: (level, message) => broker.log[level](message),
      },
      {
        up: (client) => this.onUp(client),
        down: () => this.onDown(),
        message: (packet, ack) => this.onRemoteMessage(packet, ack),
      },
    );
  }

  get name(): string {
    return this.config.name;
  }

  /** Connected to its remote now. */
  get isUp(): boolean {
    return this.up;
  }

  /** The Client of the remote connection while it is up. */
  get remote(): Client | undefined {
    return this.link.connected;
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
      if (session.queuedCount >= this.config.threshold) this.connect();
      return;
    }
    if (session.queuedCount > 0 || session.inflight.size > 0) this.lastActivity = Date.now();
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
    this.session.packetIdTaken = undefined;
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

  private onUp(client: Client): void {
    if (this.flowSource.flowBlockers > 0) client.pauseReading();
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
    // In flight but on no Client: restored from the store, or handed to a Client that closed
    // before sending it. The ones a Client has are resent by it (the link's ClientSession).
    for (const out of [...this.session.inflight.values()])
      if (!this.carried.has(out)) this.forward(client, out, out.message, out.qos, out.retain);
    this.broker.pump(this.session);
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

  /** Remote → local, acknowledged to the remote once the local store has the message. */
  private onRemoteMessage(packet: PublishPacket, ack: () => void): void {
    const crossing = this.map.toLocal(packet.topic);
    if (crossing === undefined) {
      ack();
      return;
    }
    const qos = Math.min(packet.qos, crossing.qos) as QoS;
    if (this.broker.bridgeHooks?.arriving(packet.properties?.userProperties) === false) {
      ack();
      return;
    }
    this.broker.publishFrom(
      this.flowSource,
      Message.fromPublish({ ...packet, qos }, this.session.clientId, true, crossing.topic),
    );
    this.forwardedIn[crossing.rule]!++;
    this.lastActivity = Date.now();
    if (packet.qos > 0) this.ackAfterCommit(ack);
  }

  /**
   * As the broker's PUBLISH handler does for its clients: the store's writes of this turn commit
   * (at once for all of them, group commit) before any acknowledgement of them leaves.
   */
  private ackAfterCommit(ack: () => void): void {
    if (this.dueAcks.push(ack) > 1) return;
    setImmediate(() => {
      this.broker.store.commit();
      for (const due of this.dueAcks.splice(0)) due();
    });
  }

  /**
   * Hands a delivery to the remote's Client, a QoS 1/2 one under its session packet id. False
   * (and the delivery completed) when no rule takes it or it is over bridge_max_packet_size.
   */
  forward(client: Client, out: Outgoing | undefined, message: Message, qos: QoS, retain: boolean): boolean {
    const crossing = this.map.toRemote(message.topic);
    const tooLarge =
      crossing !== undefined && exceedsMaxPacketSize(this.config, crossing.topic, message.payload);
    if (tooLarge) this.log(`dropped a message on '${message.topic}' larger than bridge_max_packet_size.`);
    if (crossing === undefined || tooLarge) {
      // Completion re-enters the broker's pump; it must not run inside the broker's send loop.
      queueMicrotask(() => this.complete(out));
      return false;
    }
    const options: PublishOptions = { qos, retain: retain && this.config.outgoingRetain };
    if (client.protocolVersion === 5) {
      const properties = message.propertiesAt(Date.now(), undefined);
      if (properties) options.properties = properties;
    }
    if (out !== undefined) {
      options.packetId = out.packetId;
      options.dup = out.sent;
      options.released = out.released;
      options.onPubrec = () => {
        out.released = true;
        this.broker.store.released(this.session, out);
      };
      out.sent = true;
      this.carried.add(out);
    }
    client.publish(crossing.topic, message.payload, options).then(
      () => {
        this.forwardedOut[crossing.rule]!++;
        this.settled(out);
        this.complete(out);
      },
      (err: unknown) => {
        this.settled(out);
        // A refusal is final. Otherwise the Client closed before sending it: onUp sends it again.
        if (err instanceof RejectedError) {
          this.log(err.message);
          this.complete(out);
        }
      },
    );
    return true;
  }

  private settled(out: Outgoing | undefined): void {
    if (out !== undefined) this.carried.delete(out);
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

  /** What the Client would send at once: the rest waits in the session's (durable) queue. */
  get sendQuota(): number {
    return this.client.sendQuota;
  }

  sendPublish(out: Outgoing | undefined, message: Message, qos: QoS, retain: boolean): boolean {
    return this.bridge.forward(this.client, out, message, qos, retain);
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
   * The broker asks for this only in resume(), which bridges do not use: the link's ClientSession
   * resends PUBREL for the flows its Clients had, and onUp those restored from the store.
   */
  sendPubrel(): void {}
}
