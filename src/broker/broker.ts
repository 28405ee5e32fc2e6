import type { Duplex } from 'node:stream';
import type { BrokerConfig } from '../config/broker-config.js';
import type { DecoderRules } from '../protocol/decoder.js';
import { ReasonCode } from '../protocol/reason-codes.js';
import type { QoS } from '../protocol/types.js';
import { parseSharedFilter } from '../topics/validate.js';
import { VERSION } from '../version.js';
import { type AccessControl, openAccess } from './access.js';
import type { BridgeHooks, RunningBridgeViews } from './bridge-hooks.js';
import type { ClusterHooks } from './cluster-hooks.js';
import {
  Connection,
  clientDecoderRules,
  type Peer,
  qos0BacklogLimit,
  type Remote,
  remoteOf,
  State,
  tenths,
} from './connection.js';
import { ConnectionList } from './connection-list.js';
import { Deliveries } from './delivery.js';
import { FlowControl, type MessageSource } from './flow-control.js';
import { RECEIVE_MAXIMUM_GRACE_MS } from './handlers/publish.js';
import { type BrokerExtension, type BrokerObserver, Hooks } from './hooks.js';
import { IdleCollector } from './idle-gc.js';
import { type Listener, openListener } from './listeners.js';
import { BrokerLog } from './log.js';
import { Message } from './message.js';
import { type RetainedMessages, RetainedStore } from './retained.js';
import { type DeliveryPlan, Router, type SubscriptionIndex } from './router.js';
import { Session, type Subscription } from './session.js';
import { SessionTable } from './session-table.js';
import { BrokerStats } from './stats.js';
import { MEMORY_STORE, openStore, type Store } from './store/index.js';
import { SysTopics } from './sys.js';

/** 0xFFFFFFFF: the session never expires (MQTT 5.0 3.1.2.11.2). */
export const NEVER_EXPIRES = 0xffffffff;

/**
 * The broker: listeners, connections, sessions, routing, retained messages and wills. Each
 * packet type's behaviour lives in handlers/; this class owns the state they share.
 */
export class Broker {
  readonly log: BrokerLog;
  readonly stats = new BrokerStats();
  /** Multi-hop loop prevention, attached by src/bridge (hop-guard.ts). */
  bridgeHooks: BridgeHooks | undefined;
  readonly sessions = new SessionTable<Session>();
  readonly connections = new ConnectionList<Connection>();
  /** Replaced in start() by a cluster's, which also tells the other nodes. */
  router: SubscriptionIndex = new Router();
  readonly retained: RetainedMessages = new RetainedStore();
  /** Durable state (persistence on) or the no-op memory store; replaced in start(). */
  store: Store = MEMORY_STORE;
  /** Access control per listener index when per_listener_settings is on, else one for all. */
  private access: AccessControl[] = [];
  private listeners: Listener[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly sys: SysTopics;
  /** Wills waiting out their delay, by client id. */
  readonly pendingWills = new Map<string, { message: Message; at: number }>();
  private autoIdCounter = 0;
  private readonly idleCollector = new IdleCollector();
  private publishingLog = false;
  /** See qos0BacklogLimit. */
  readonly qos0Backlog: number;
  /** See clientDecoderRules. */
  readonly decoderRules: DecoderRules;
  readonly flow: FlowControl;
  readonly deliveries = new Deliveries(this);
  /** Inside route(): its deliveries may share the message's encoded headers (Message.header). */
  routing = false;
  /**
   * Who is feeding the message being routed now: set around publish() by whoever calls it, read
   * by deliver() only when a session is at its limits (flow-control.ts).
   */
  source: MessageSource;
  /**
   * The other nodes, with --cluster: set by the cluster extension's start(), before any client
   * can connect (src/server.ts).
   */
  cluster: ClusterHooks | undefined;
  /** Extensions, observers and authenticators (hooks.ts). */
  readonly hooks: Hooks;
  /** The in-broker bridges while they run, for observers (admin, labs): set by src/server.ts. */
  bridges: RunningBridgeViews | undefined;

  constructor(readonly config: BrokerConfig) {
    this.log = new BrokerLog(config.log);
    this.hooks = new Hooks((line) => this.log.error(line));
    this.qos0Backlog = qos0BacklogLimit(config.maxQueuedBytes, config.maxQueuedMessages);
    this.decoderRules = clientDecoderRules(config.maxPacketSize);
    this.flow = new FlowControl(config.flowControl, {
      released: (session) =>
        this.log.warning(
          `Client ${session.clientId} kept publishers waiting for ${config.flowControl.maxPauseMs / 1000} s within ${config.flowControl.windowMs / 1000} s: released from flow control until it catches up; messages for it may be dropped.`,
        ),
      changed: (session, congested) => {
        if (this.hooks.on.flowChanged !== undefined) this.hooks.emit('flowChanged', session, congested);
      },
    });
    this.log.topicSink = (topic, line) => {
      // A delivery can itself log (a drop); that line must not be published again.
      if (this.publishingLog) return;
      this.publishingLog = true;
      this.publish(new Message(topic, Buffer.from(line), 0, false, undefined, 0, '', false));
      this.publishingLog = false;
    };
    this.sys = new SysTopics(this);
  }

  /** Registers an extension; call before start(). */
  extend(extension: BrokerExtension): void {
    this.hooks.extensions.push(extension);
  }

  /** Registers an observer of the broker's events (hooks.ts), at any time. */
  observe(observer: BrokerObserver): void {
    this.hooks.use(observer);
  }

  get uptimeSeconds(): number {
    return Math.floor((Date.now() - this.stats.startedAt) / 1000);
  }

  get connectedCount(): number {
    let n = 0;
    // forEach: see SysTopics.update, which asks every sys_interval.
    this.connections.forEach((c) => {
      if (c.state === State.Connected) n++;
    });
    return n;
  }

  async start(): Promise<void> {
    this.log.notice(`mqx version ${VERSION} starting`);
    this.log.notice(
      this.config.sources.length > 0
        ? `Config loaded from ${this.config.sources[0]}.`
        : 'Using default config.',
    );
    for (const w of this.config.warnings) this.log.warning(`Warning: ${w}`);
    this.access = await openAccess(this.config, this.log);
    await this.openStore();
    for (const ext of this.hooks.extensions) await ext.start?.(this);
    const local = this.config.listeners.every(
      (l) => l.host === '127.0.0.1' || l.host === '::1' || l.unixSocketPath,
    );
    if (this.config.sources.length === 0 && local) {
      this.log.notice(
        'Starting in local only mode. Connections will only be possible from clients running on this machine.',
      );
      this.log.notice('Create a configuration file which defines a listener to allow remote access.');
    }
    if (this.access[0]?.allowsAnonymous) this.log.notice('Anonymous clients are allowed.');
    for (let i = 0; i < this.config.listeners.length; i++) {
      const config = this.config.listeners[i]!;
      const peer: Peer = {
        broker: this,
        listenerPort: config.port,
        listenerIndex: i,
        mountPoint: config.mountPoint,
      };
      const listener = await openListener(config, peer, this.log, (socket, peer, remote) =>
        this.accept(socket, peer, remote),
      );
      this.listeners.push(listener);
    }
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    this.sweepTimer.unref();
    this.sys.start();
    for (const ext of this.hooks.extensions) await ext.started?.(this);
    if (this.hooks.on.started !== undefined) this.hooks.emit('started', this);
    this.log.notice(`mqx version ${VERSION} running`);
  }

  /** Bound ports, in listener order (useful when a listener asked for port 0). */
  get ports(): number[] {
    return this.listeners.map((l) => l.port);
  }

  async stop(): Promise<void> {
    this.log.notice(`mqx version ${VERSION} terminating`);
    this.sys.stop();
    if (this.hooks.on.stopping !== undefined) this.hooks.emit('stopping');
    const extensions = [...this.hooks.extensions].reverse();
    for (const ext of extensions) await ext.stop?.();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const conn of [...this.connections])
      conn.disconnectWith(ReasonCode.ServerShuttingDown, 'server shutting down');
    await Promise.all(this.listeners.map((l) => l.close()));
    for (const ext of extensions) await ext.stopped?.();
    this.store.close();
    this.log.close();
  }

  /**
   * SIGHUP, as mosquitto: re-reads password and ACL files (connected clients are re-checked),
   * reopens log files, reloads TLS certificates, and applies added, removed and changed bridges.
   * `next` is the configuration file read again; listeners themselves are not re-bound.
   */
  async reload(next?: BrokerConfig): Promise<void> {
    if (next) {
      this.config.security = next.security;
      this.config.log = { ...next.log, verbose: this.config.log.verbose };
      this.config.bridges = next.bridges;
      next.listeners.forEach((l, i) => {
        const current = this.config.listeners[i];
        if (current && l.tls) current.tls = l.tls;
        if (current && l.security) current.security = l.security;
      });
    }
    this.log.configure(this.config.log);
    this.access = await openAccess(this.config, this.log);
    for (const session of this.sessions.values()) session.aclReads = undefined;
    for (const listener of this.listeners) listener.reloadTls();
    for (const conn of this.connections) {
      if (conn.state !== State.Connected || !conn.session) continue;
      for (const sub of [...conn.session.subscriptions.values()]) {
        if (!this.accessFor(conn).canSubscribe(conn.clientId, conn.username, sub.matchFilter))
          this.unsubscribe(conn.session, sub.filter);
      }
    }
    for (const ext of this.hooks.extensions) await ext.reload?.(this.config);
    if (this.hooks.on.reloaded !== undefined) this.hooks.emit('reloaded', this.config);
    this.log.notice('Reloaded configuration: password and ACL files, logging, TLS certificates, bridges.');
  }

  /** Opens the durable store and rebuilds what it kept, before any client can connect. */
  private async openStore(): Promise<void> {
    const { store, file, why } = await openStore(this.config.persistence, this.config.sources[0], (err) =>
      this.storeFailed(err),
    );
    this.store = store;
    if (!store.durable) return;
    this.log.notice(`Persistence file ${file} (${why}).`);
    const { restore } = await import('./store/restore.js');
    const state = store.load();
    restore(this, state);
    this.log.notice(
      `Restored ${state.sessions.length} sessions and ${state.retained.length} retained messages from ${file}.`,
    );
  }

  /** A commit failed: stop before anything written since the last commit is acknowledged. */
  private storeFailed(err: Error): void {
    this.log.error(`Persistence failed, stopping: ${err.message}`);
    for (const conn of this.connections) conn.socket.destroy();
    process.exit(1);
  }

  accessFor(conn: Connection): AccessControl {
    return this.access[this.config.perListenerSettings ? conn.peer.listenerIndex : 0]!;
  }

  private accept(socket: Duplex, peer: Peer, remote: Remote | undefined): void {
    const max = this.config.listeners[peer.listenerIndex]?.maxConnections ?? 0;
    if (max > 0) {
      let n = 0;
      for (const c of this.connections) if (c.peer.listenerIndex === peer.listenerIndex) n++;
      if (n >= max) {
        const from = remote ?? remoteOf(socket as Duplex & { remoteAddress?: string });
        this.log.notice(`Client connection from ${from.address} denied: max_connections exceeded.`);
        socket.destroy();
        return;
      }
    }
    const conn = new Connection(socket, peer, remote);
    this.connections.add(conn);
    this.stats.connectionsTotal++;
    if (this.log.connectionMessages)
      this.log.notice(
        `New connection from ${conn.remote.address}:${conn.remote.port} on port ${peer.listenerPort}.`,
      );
  }

  assignClientId(): string {
    this.autoIdCounter = (this.autoIdCounter + 1) % 0x1000000;
    const rand = Math.floor(Math.random() * 0xffffffff)
      .toString(16)
      .padStart(8, '0');
    return `${this.config.autoIdPrefix}${Date.now().toString(16)}-${rand}-${this.autoIdCounter.toString(16)}`;
  }

  /**
   * Routes one message to every matching subscriber, here and on the other nodes of a cluster;
   * stores or clears it when retained. Returns how many subscriptions (and nodes) it matched.
   */
  publish(message: Message): number {
    if (message.retain && this.config.retainAvailable) {
      this.retained.set(message);
      this.store.retained(message);
    }
    let matched = this.route(message, true, undefined);
    if (this.cluster !== undefined) matched += this.cluster.forward(message);
    if (this.hooks.on.messageRouted !== undefined) this.hooks.emit('messageRouted', message, matched);
    return matched;
  }

  /**
   * Delivers a message to the sessions of this node: to plain subscribers when `plain`, and to
   * share groups: every group when `groups` is undefined, else only the groups it names (a
   * message another node forwarded here for those groups). Returns how many subscriptions it
   * matched: those it went to, and the publisher's own No Local ones, which match without being
   * sent to, so that 5.0's 0x10 means what it says, no matching subscribers.
   */
  route(message: Message, plain: boolean, groups: readonly string[] | undefined): number {
    const outer = this.routing;
    this.routing = true;
    try {
      return this.routeHere(message, plain, groups);
    } finally {
      this.routing = outer;
      message.forgetHeaders();
    }
  }

  private routeHere(message: Message, plain: boolean, groups: readonly string[] | undefined): number {
    const plan = this.router.plan(message.topic);
    let matched = 0;
    const targets = plain ? plan.targets : NO_TARGETS;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      const session = t.session;
      if (session.clientId === message.origin && (t.noLocal || message.fromBridge)) {
        matched++;
        continue;
      }
      if (!this.mayReceive(session, message.topic)) continue;
      // Bridges keep the retain flag so retained state crosses them, as mosquitto's do.
      const retain = (t.retainAsPublished || session.isBridge) && message.retain;
      const hooks = this.bridgeHooks;
      const out = session.isBridge && hooks !== undefined ? hooks.leaving(message) : message;
      this.deliveries.deliver(session, out, Math.min(message.qos, t.qos) as QoS, retain, t.subscriptionIds);
      matched++;
    }
    for (const group of plan.shared) {
      if (
        groups === undefined
          ? this.cluster?.sharedElsewhere(group.key, message.topic)
          : !groups.includes(group.key)
      )
        continue;
      const member = this.router.pickShared(group);
      if (!member || !this.mayReceive(member.session, message.topic)) continue;
      const qos = Math.min(message.qos, member.qos) as QoS;
      this.deliveries.deliver(
        member.session,
        message,
        qos,
        member.retainAsPublished && message.retain,
        member.subscriptionIds,
      );
      matched++;
    }
    return matched;
  }

  /** The ACL a session is judged by, connected or not: its listener's with per_listener_settings. */
  mayReceive(session: Session, topic: string): boolean {
    const access = this.access[this.config.perListenerSettings ? session.listenerIndex : 0];
    if (access === undefined || !access.hasAcl) return true;
    // Answers are kept per session (a bounded map): a topic's answer does not change until the
    // ACL is reloaded or the session gets a new connection, which clear it.
    let answers = session.aclReads;
    const known = answers?.get(topic);
    if (known !== undefined) return known;
    const ok = access.canReceive(session.clientId, session.username, topic);
    if (answers === undefined) {
      answers = new Map();
      session.aclReads = answers;
    } else if (answers.size >= ACL_ANSWERS_PER_SESSION) answers.clear();
    answers.set(topic, ok);
    return ok;
  }

  pump(session: Session): void {
    this.deliveries.pump(session);
  }

  resume(session: Session): void {
    this.deliveries.resume(session);
  }

  completeOutgoing(session: Session, packetId: number): boolean {
    return this.deliveries.complete(session, packetId);
  }

  sendRetained(session: Session, sub: Subscription): void {
    this.deliveries.sendRetained(session, sub);
  }

  subscribe(session: Session, sub: Subscription): boolean {
    const old = session.subscriptions.get(sub.filter);
    if (old) this.router.remove(old);
    session.addSubscription(sub);
    this.router.add(sub);
    this.store.subscribed(session, sub);
    if (this.hooks.on.subscribed !== undefined) this.hooks.emit('subscribed', session, sub);
    return old === undefined;
  }

  unsubscribe(session: Session, filter: string): boolean {
    const sub = session.subscriptions.get(filter);
    if (!sub) return false;
    session.subscriptions.delete(filter);
    this.router.remove(sub);
    this.store.unsubscribed(session, filter);
    if (this.hooks.on.unsubscribed !== undefined) this.hooks.emit('unsubscribed', session, filter);
    return true;
  }

  newSession(clientId: string): Session {
    const session = new Session(clientId);
    this.sessions.set(session);
    return session;
  }

  destroySession(session: Session, expired = false): void {
    this.flow.drained(session);
    this.store.sessionDestroyed(session);
    for (const sub of session.clear()) this.router.remove(sub);
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
    if (this.hooks.on.sessionEnded !== undefined) this.hooks.emit('sessionEnded', session, expired);
  }

  /** Called once per connection when it closes, for whatever reason. */
  connectionClosed(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    const session = conn.session;
    if (session === undefined) return;
    this.cluster?.willDone(conn.clientId, conn);
    if (conn.will) this.scheduleWill(conn, session);
    if (session.outlet !== conn) return;
    if (this.log.connectionMessages) {
      if (conn.disconnectedCleanly) this.log.notice(`Client ${conn.clientId} disconnected.`);
      else if (conn.closeReason === 'closed by peer')
        this.log.notice(`Client ${conn.clientId} closed its connection.`);
      else this.log.notice(`Client ${conn.clientId} disconnected: ${conn.closeReason}.`);
    }
    session.outlet = undefined;
    if (this.hooks.on.sessionDisconnected !== undefined)
      this.hooks.emit('sessionDisconnected', session, conn, conn.closeReason ?? 'closed');
    // Offline, the session queues and drops as mosquitto does: nobody waits for it any more.
    this.flow.drained(session);
    if (session.expiryInterval === 0) {
      this.destroySession(session);
      return;
    }
    if (session.expiryInterval !== NEVER_EXPIRES) {
      session.expiresAt = Date.now() + session.expiryInterval * 1000;
    } else if (conn.version < 5 && this.config.persistentClientExpiration !== undefined) {
      session.expiresAt = Date.now() + this.config.persistentClientExpiration * 1000;
    }
    this.store.sessionClosed(session);
  }

  private scheduleWill(conn: Connection, session: Session): void {
    const will = conn.will!;
    conn.will = undefined;
    const message = Message.fromPublish(
      {
        type: 'publish',
        topic: will.topic,
        payload: will.payload,
        qos: will.qos,
        retain: will.retain,
        dup: false,
        properties: will.properties,
      },
      conn.clientId,
      false,
    );
    const delay = will.properties?.willDelayInterval ?? 0;
    // The will goes at the delay or when the session ends, whichever is first [MQTT-3.1.3-9].
    const sessionEnds =
      session.expiryInterval === NEVER_EXPIRES ? Number.POSITIVE_INFINITY : session.expiryInterval;
    const seconds = Math.min(delay, sessionEnds);
    if (seconds <= 0) {
      this.publishWill(message);
      return;
    }
    const at = Date.now() + seconds * 1000;
    this.pendingWills.set(conn.clientId, { message, at });
    this.store.willScheduled(conn.clientId, message, at);
  }

  /** A will has no socket to pause; it is queued past a full queue (at most one per session). */
  publishWill(message: Message): void {
    if (this.log.isEnabled('debug'))
      this.log.debug(`Sending will of ${message.origin} to '${message.topic}'.`);
    this.publishFrom('overflow', message);
  }

  /** publish() on behalf of a source that flow control may pause. */
  publishFrom(source: MessageSource, message: Message): number {
    const outer = this.source;
    this.source = source;
    try {
      return this.publish(message);
    } finally {
      this.source = outer;
    }
  }

  /** A new connection to the session cancels its delayed will [MQTT-3.1.3-9]. */
  cancelWill(clientId: string): void {
    if (this.pendingWills.delete(clientId)) this.store.willDone(clientId);
  }

  /** The session of a delayed will ended: the will goes now. */
  releaseWill(clientId: string): void {
    const will = this.pendingWills.get(clientId);
    if (will === undefined) return;
    this.pendingWills.delete(clientId);
    this.store.willDone(clientId);
    this.publishWill(will.message);
  }

  /** Once a second: keep alive, CONNECT timeout, idle decoders, session expiry, delayed wills. */
  private sweep(): void {
    const now = Date.now();
    const tick = tenths();
    // forEach: see SysTopics.update.
    this.connections.forEach((conn) => {
      const silentMs = (tick - conn.lastReceived) * 100;
      if (silentMs >= DECODER_IDLE_MS) conn.dropDecoder();
      if (conn.state === State.AwaitingConnect) {
        if (silentMs > CONNECT_TIMEOUT_MS) conn.close('no CONNECT in time');
      } else if (
        conn.state === State.Connected &&
        conn.keepalive > 0 &&
        // The broker itself may be why nothing arrives: it is not reading this client.
        !conn.parking &&
        silentMs > conn.keepalive * 1500
      ) {
        if (this.log.connectionMessages)
          this.log.notice(`Client ${conn.clientId} has exceeded timeout, disconnecting.`);
        conn.disconnectWith(ReasonCode.KeepAliveTimeout, 'keep alive timeout');
      } else if (
        conn.inboundWindow !== undefined &&
        conn.inboundWindow.overSince !== 0 &&
        now - conn.inboundWindow.overSince > RECEIVE_MAXIMUM_GRACE_MS
      ) {
        conn.disconnectWith(ReasonCode.ReceiveMaximumExceeded, 'receive maximum exceeded');
      }
    });
    for (const [clientId, will] of this.pendingWills) {
      if (now >= will.at) {
        this.pendingWills.delete(clientId);
        this.store.willDone(clientId);
        this.publishWill(will.message);
      }
    }
    this.sessions.forEach((session) => {
      if (!session.connected && session.expiresAt > 0 && now >= session.expiresAt) {
        this.stats.expiredSessions++;
        this.log.notice(`Expiring client ${session.clientId}.`);
        this.destroySession(session, true);
      }
    });
    // Last, so that the collection after a burst also takes the decoders just let go.
    this.idleCollector.tick(this.stats.connectionsTotal);
  }

  sharedFilter(filter: string): { group: string; filter: string } {
    const shared = parseSharedFilter(filter);
    return shared ? { group: shared.group, filter: shared.filter } : { group: '', filter };
  }
}

const NO_TARGETS: DeliveryPlan['targets'] = [];

/** Topics whose read-ACL answer a session keeps; past that the map starts over. */
const ACL_ANSWERS_PER_SESSION = 1024;

/** Silence after which a connection lets its decoder go (Connection.dropDecoder). */
const DECODER_IDLE_MS = 1000;

/** mosquitto closes sockets that send no CONNECT within about ten seconds. */
const CONNECT_TIMEOUT_MS = 10_000;
