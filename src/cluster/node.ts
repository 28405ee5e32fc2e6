import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Broker } from '../broker/broker.js';
import type { ClusterHooks } from '../broker/cluster-hooks.js';
import { Connection } from '../broker/connection.js';
import type { FlowSource } from '../broker/flow-control.js';
import { Message } from '../broker/message.js';
import type { Outgoing, Session } from '../broker/session.js';
import { restoreOutgoing, subscriptionFromStored } from '../broker/store/restore.js';
import { topicMatches } from '../client/match.js';
import type { ClusterSettings } from '../config/broker-config.js';
import { ReasonCode } from '../protocol/reason-codes.js';
import type { QoS, Will } from '../protocol/types.js';
import {
  messageFrom,
  messageHeader,
  packMessage,
  parseSnapshot,
  type SessionRecord,
  sessionRecord,
  snapshotSession,
  unpackMessage,
} from './codec.js';
import { Directory } from './directory.js';
import { ClusterKeys } from './keys.js';
import { connectRedis, openRedis, type Redis, redactUrl } from './redis.js';
import { ClusterRouter } from './router.js';
import { ClusterStore } from './store.js';
import { DeliveryTracker } from './tracker.js';

/** A node refreshes its heartbeat every second; one silent for this long is dead. */
const ALIVE_MS = 5000;
const HEARTBEAT_MS = 1000;
/** A node only judges others dead after its own link to Redis has been up this long. */
const JUDGE_AFTER_MS = ALIVE_MS + 2 * HEARTBEAT_MS;
const REPLY_TIMEOUT_MS = 2000;
const CLAIM_TIMEOUT_MS = 15_000;
const READ_BATCH = 1000;
/** Compare-and-delete: a node forgets a session's ownership only while it still owns it. */
const DELETE_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Compare-and-set: an adopter takes a dead node's session only if no live node has claimed it. */
const SET_IF_OWNER = `local o = redis.call('GET', KEYS[1]) if o == false or o == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0`;

type Control =
  | { op: 'sub' | 'unsub'; node: string; entry: string }
  | { op: 'retained'; node: string; topic: string }
  | { op: 'gone'; node: string }
  | { op: 'takeover'; clientId: string; from: string; clean: boolean; rid: string }
  | { op: 'handed'; rid: string; present: boolean };

/**
 * One broker's membership in a cluster of brokers that share a Redis. Messages go only to the
 * nodes whose subscriptions match (directory.ts), through each node's inbox stream; retained
 * messages, persistent sessions and wills live in Redis, so any node can serve any client and
 * a node that dies is adopted by another. A QoS 1/2 message is acknowledged only once Redis has
 * every copy another node or a persistent session needs.
 */
export class ClusterNode implements ClusterHooks {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly keys: ClusterKeys;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly reader: Redis;
  private readonly directory: Directory;
  private readonly tracker: DeliveryTracker;
  private router!: ClusterRouter;
  private seq = 0;
  private readonly messageIds = new WeakMap<Message, string>();
  /** Share groups of the message being routed that turn-taking gave to another node. */
  private sharedPicks = new Map<string, string>();
  private sharedTopic: string | undefined;
  private sharedTargets: ReturnType<Directory['match']>;
  private readonly turns = new Map<string, number>();
  private durable: Promise<void> | undefined;
  private readonly replies = new Map<string, (present: boolean) => void>();
  private readonly handingOff = new Set<string>();
  private readonly adopting = new Map<string, Promise<void>>();
  private readonly willOwners = new Map<string, object>();
  private readonly timers: NodeJS.Timeout[] = [];
  private healthySince = 0;
  private qos0Buffered = 0;
  private dropWarnedAt = 0;
  private stopped = false;
  /**
   * The inbox reader, for flow control: while a session it feeds is congested the next batch is
   * not read, and the entries wait in Redis.
   */
  private readonly inboxFlow: FlowSource = {
    flowBlockers: 0,
    pauseFeeding: () => undefined,
    resumeFeeding: () => {
      const wake = this.inboxWake;
      this.inboxWake = undefined;
      wake?.();
    },
  };
  private inboxWake: (() => void) | undefined;
  private readLoop: Promise<void> | undefined;
  /** Stream entries no session needs any more, deleted together once per event-loop turn. */
  private releasing = new Map<string, string[]>();

  constructor(
    private readonly broker: Broker,
    private readonly settings: ClusterSettings,
  ) {
    this.keys = new ClusterKeys(settings.prefix);
    this.redis = connectRedis(settings, 'cmd', this.id);
    this.subscriber = connectRedis(settings, 'sub', this.id);
    this.reader = connectRedis(settings, 'inbox', this.id);
    this.directory = new Directory(this.id);
    this.tracker = new DeliveryTracker((stream, entryId) => this.release(stream, entryId));
  }

  private get log() {
    return this.broker.log;
  }

  async start(): Promise<void> {
    const url = this.settings.url;
    const clients = [this.redis, this.subscriber, this.reader];
    try {
      await Promise.all(clients.map((c) => openRedis(c, url)));
    } catch (err) {
      for (const c of clients) c.disconnect();
      throw err;
    }
    for (const client of [this.redis, this.subscriber, this.reader])
      client.on('error', (err: Error) => this.linkError(err));
    this.redis.on('ready', () => {
      this.healthySince = Date.now();
      this.log.notice('Cluster: connected to Redis again; catching up.');
      void this.announceAll();
    });
    this.redis.on('close', () => {
      if (this.healthySince !== 0 && !this.stopped)
        this.log.warning(
          `Cluster: lost Redis at ${redactUrl(url)}; serving local clients, buffering forwards.`,
        );
      this.healthySince = 0;
    });
    this.subscriber.on('message', (_channel: string, text: string) =>
      this.control(JSON.parse(text) as Control),
    );
    this.subscriber.on('ready', () => void this.loadDirectory());
    await this.subscriber.subscribe(this.keys.broadcast, this.keys.direct(this.id));
    this.healthySince = Date.now();

    // Sessions restored from this node's own store belong to its previous run, which the
    // cluster adopts from Redis like any dead node: the store is not the cluster's record.
    for (const session of [...this.broker.sessions.values()]) this.broker.destroySession(session);

    await this.beat();
    await this.redis.hset(this.keys.nodes, this.id, JSON.stringify({ startedAt: Date.now() }));
    await this.loadDirectory();
    await this.loadRetained();

    this.router = new ClusterRouter(this.broker.router, (entry, present) => this.announce(entry, present));
    this.broker.router = this.router;
    this.broker.store = new ClusterStore(this.broker.store, this.tracker, {
      write: (session, version) => this.writeRecord(session, version),
      ended: (session) => this.sessionEnded(session),
    });
    this.readLoop = this.readInbox();
    this.every(HEARTBEAT_MS, () => void this.beat());
    this.every(2 * HEARTBEAT_MS, () => void this.findDead());
    if (this.broker.config.sysInterval > 0)
      this.every(this.broker.config.sysInterval * 1000, () => void this.publishSys());
    this.log.notice(`Cluster: node ${this.id} joined through ${redactUrl(url)}.`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.inboxFlow.resumeFeeding();
    for (const t of this.timers) clearInterval(t);
    // Leaving is dying politely: without a heartbeat the others adopt this node's sessions.
    await this.redis.del(this.keys.alive(this.id)).catch(() => undefined);
    this.reader.disconnect();
    await this.readLoop;
    this.subscriber.disconnect();
    await this.redis.quit().catch(() => undefined);
  }

  // ---- routing ---------------------------------------------------------------------------------

  sharedElsewhere(groupKey: string, topic: string): boolean {
    if (this.sharedTopic !== topic) {
      this.sharedTopic = topic;
      this.sharedTargets = this.directory.match(topic);
    }
    const nodes = this.sharedTargets?.shared.get(groupKey);
    if (nodes === undefined) return false;
    const turn = this.turns.get(groupKey) ?? 0;
    this.turns.set(groupKey, turn + 1);
    const pick = turn % (nodes.length + 1);
    if (pick === nodes.length) return false;
    this.sharedPicks.set(groupKey, nodes[pick]!);
    return true;
  }

  forward(message: Message): number {
    const picks = this.sharedPicks;
    const targets =
      this.sharedTopic === message.topic ? this.sharedTargets : this.directory.match(message.topic);
    this.sharedTopic = undefined;
    this.sharedTargets = undefined;
    if (picks.size > 0) this.sharedPicks = new Map();
    if (message.topic.startsWith('$SYS')) return 0;

    const waits: Promise<unknown>[] = [];
    const header = messageHeader(message, this.messageId(message));
    if (message.retain && this.broker.config.retainAvailable) waits.push(this.shareRetained(message));
    let nodes = 0;
    if (targets !== undefined) {
      const groupsFor = new Map<string, string[]>();
      for (const node of targets.plain) groupsFor.set(node, []);
      for (const [key, holders] of targets.shared) {
        let node = picks.get(key);
        if (node === undefined) {
          // No member here, so routing never asked: take turns among the nodes that have one.
          if (this.broker.router.plan(message.topic).shared.some((g) => g.key === key)) continue;
          const turn = this.turns.get(key) ?? 0;
          this.turns.set(key, turn + 1);
          node = holders[turn % holders.length]!;
        }
        const groups = groupsFor.get(node);
        if (groups === undefined) groupsFor.set(node, [key]);
        else groups.push(key);
      }
      for (const [node, groups] of groupsFor) {
        if (message.qos === 0 && !this.mayBufferQos0()) continue;
        const plain = targets.plain.has(node) ? '1' : '0';
        const added = this.redis.xadd(
          this.keys.inbox(node),
          '*',
          'h',
          header,
          'p',
          message.payload,
          'l',
          plain,
          'g',
          groups.join('\u0001'),
        );
        if (message.qos > 0) waits.push(added);
        else void added.finally(() => this.qos0Buffered--);
        nodes++;
      }
    }
    const log = this.keys.log(this.id);
    if (message.qos > 0 && this.tracker.needsLog(message, log)) {
      const added = this.redis.xadd(log, '*', 'h', header, 'p', message.payload);
      waits.push(added.then((entryId) => this.tracker.logged(message, log, entryId!)));
    }
    if (waits.length > 0 && message.qos > 0) this.durable = Promise.all(waits).then(() => undefined);
    return nodes;
  }

  takeDurable(): Promise<void> | undefined {
    const durable = this.durable;
    this.durable = undefined;
    return durable;
  }

  /** While Redis is away, QoS 0 forwards wait in memory up to a bound, then are dropped. */
  private mayBufferQos0(): boolean {
    if (this.healthySince === 0 && this.qos0Buffered >= this.settings.maxBuffered) {
      const now = Date.now();
      if (now - this.dropWarnedAt >= 10_000) {
        this.dropWarnedAt = now;
        this.log.warning(
          `Cluster: Redis is unreachable and ${this.qos0Buffered} QoS 0 forwards are waiting (cluster_max_buffered); dropping new ones.`,
        );
      }
      this.broker.stats.dropped++;
      this.broker.stats.droppedBy.cluster++;
      return false;
    }
    this.qos0Buffered++;
    return true;
  }

  private release(stream: string, entryId: string): void {
    if (this.releasing.size === 0) setImmediate(() => this.flushReleases());
    const ids = this.releasing.get(stream);
    if (ids === undefined) this.releasing.set(stream, [entryId]);
    else ids.push(entryId);
  }

  private flushReleases(): void {
    const releasing = this.releasing;
    this.releasing = new Map();
    for (const [stream, ids] of releasing) void this.redis.xdel(stream, ...ids);
  }

  private messageId(message: Message): string {
    let id = this.messageIds.get(message);
    if (id === undefined) {
      id = `${this.id}:${++this.seq}`;
      this.messageIds.set(message, id);
    }
    return id;
  }

  /** Reads this node's inbox: messages other nodes forwarded, in the order they were sent. */
  private async readInbox(): Promise<void> {
    const inbox = this.keys.inbox(this.id);
    let last = '0';
    while (!this.stopped) {
      if (this.inboxFlow.flowBlockers > 0) {
        await new Promise<void>((wake) => {
          this.inboxWake = wake;
        });
        continue;
      }
      let reply: unknown;
      try {
        reply = await this.reader.xreadBuffer('COUNT', READ_BATCH, 'BLOCK', 1000, 'STREAMS', inbox, last);
      } catch (err) {
        if (this.stopped) return;
        this.linkError(err as Error);
        await sleep(500);
        continue;
      }
      if (reply === null) continue;
      const entries = (reply as Array<[Buffer, Array<[Buffer, Buffer[]]>]>)[0]![1];
      for (const [rawId, fields] of entries) {
        last = rawId.toString();
        this.deliverEntry(inbox, last, fields);
      }
    }
  }

  private deliverEntry(inbox: string, entryId: string, fields: Buffer[]): void {
    const f = fieldMap(fields);
    const { message, id } = messageFrom(f.get('h')!.toString(), f.get('p')!);
    this.messageIds.set(message, id);
    const groups = f.get('g')!.toString();
    this.tracker.begin(message, inbox, entryId);
    this.broker.source = this.inboxFlow;
    this.broker.route(message, f.get('l')!.toString() === '1', groups === '' ? [] : groups.split('\u0001'));
    this.broker.source = undefined;
    this.tracker.routed(message);
  }

  // ---- retained messages -----------------------------------------------------------------------

  private shareRetained(message: Message): Promise<unknown> {
    const written =
      message.payload.length === 0
        ? this.redis.hdel(this.keys.retained, message.topic)
        : this.redis.hset(this.keys.retained, message.topic, packMessage(message, this.messageId(message)));
    void this.send(this.keys.broadcast, { op: 'retained', node: this.id, topic: message.topic });
    return written;
  }

  private async loadRetained(): Promise<void> {
    const all = await this.redis.hgetallBuffer(this.keys.retained);
    for (const value of Object.values(all)) this.broker.retained.set(unpackMessage(value).message);
  }

  private async retainedChanged(topic: string): Promise<void> {
    const value = await this.redis.hgetBuffer(this.keys.retained, topic);
    this.broker.retained.set(
      value === null
        ? new Message(topic, Buffer.alloc(0), 0, true, undefined, 0, '', false)
        : unpackMessage(value).message,
    );
  }

  // ---- the directory ---------------------------------------------------------------------------

  private announce(entry: string, present: boolean): void {
    const key = this.keys.subs(this.id);
    if (present) void this.redis.sadd(key, entry);
    else void this.redis.srem(key, entry);
    void this.send(this.keys.broadcast, { op: present ? 'sub' : 'unsub', node: this.id, entry });
  }

  /** After Redis came back: this node's entries may have been lost with it. */
  private async announceAll(): Promise<void> {
    if (this.stopped || this.router === undefined) return;
    const entries = this.router.entries;
    if (entries.length > 0) await this.redis.sadd(this.keys.subs(this.id), ...entries);
    await this.redis.hset(
      this.keys.nodes,
      this.id,
      JSON.stringify({ startedAt: this.broker.stats.startedAt }),
    );
    for (const entry of entries) await this.send(this.keys.broadcast, { op: 'sub', node: this.id, entry });
  }

  async nodeCount(): Promise<number> {
    return this.redis.hlen(this.keys.nodes);
  }

  private async loadDirectory(): Promise<void> {
    const nodes = await this.redis.hkeys(this.keys.nodes);
    for (const node of nodes) {
      if (node === this.id) continue;
      const entries = await this.redis.smembers(this.keys.subs(node));
      this.directory.dropNode(node);
      for (const entry of entries) this.directory.add(node, entry);
    }
  }

  private control(msg: Control): void {
    switch (msg.op) {
      case 'sub':
        this.directory.add(msg.node, msg.entry);
        return;
      case 'unsub':
        this.directory.remove(msg.node, msg.entry);
        return;
      case 'gone':
        this.directory.dropNode(msg.node);
        return;
      case 'retained':
        if (msg.node !== this.id) void this.retainedChanged(msg.topic);
        return;
      case 'takeover':
        void this.handOver(msg.clientId, msg.from, msg.clean, msg.rid);
        return;
      case 'handed':
        this.replies.get(msg.rid)?.(msg.present);
        return;
    }
  }

  private send(channel: string, msg: Control): Promise<unknown> {
    return this.redis.publish(channel, JSON.stringify(msg));
  }

  // ---- sessions --------------------------------------------------------------------------------

  private writeRecord(session: Session, protocolVersion: number | undefined): void {
    if (session.expiryInterval === 0 || protocolVersion === undefined) {
      void this.redis.del(this.keys.session(session.clientId));
      void this.redis.srem(this.keys.sessions(this.id), session.clientId);
      return;
    }
    void this.redis.set(
      this.keys.session(session.clientId),
      JSON.stringify(sessionRecord(session, protocolVersion)),
    );
    void this.redis.sadd(this.keys.sessions(this.id), session.clientId);
  }

  private sessionEnded(session: Session): void {
    const clientId = session.clientId;
    void this.redis.srem(this.keys.sessions(this.id), clientId);
    if (this.handingOff.has(clientId)) return;
    void this.redis.del(this.keys.session(clientId));
    void this.redis.eval(DELETE_IF_OWNER, 1, this.keys.owner(clientId), this.id);
  }

  async claim(clientId: string, cleanStart: boolean): Promise<void> {
    if (this.healthySince === 0) {
      this.log.warning(`Cluster: Redis is unreachable; ${clientId} gets a session on this node only.`);
      return;
    }
    try {
      await withTimeout(this.bringHere(clientId, cleanStart), CLAIM_TIMEOUT_MS, 'claiming the session');
    } catch (err) {
      this.log.warning(`Cluster: could not bring the session of ${clientId} here: ${(err as Error).message}`);
    }
  }

  private async bringHere(clientId: string, cleanStart: boolean): Promise<void> {
    const ownerKey = this.keys.owner(clientId);
    // Until CLAIM_TIMEOUT_MS: a node that does not answer is dead or dying, and once its
    // heartbeat has lapsed its sessions are adopted (here or elsewhere) and asked for again.
    for (;;) {
      const owner = await this.redis.get(ownerKey);
      if (owner === null || owner === this.id) break;
      if ((await this.redis.exists(this.keys.alive(owner))) === 0) await this.adopt(owner);
      else if (await this.takeOver(owner, clientId, cleanStart)) break;
      else await sleep(HEARTBEAT_MS);
    }
    await this.redis.set(ownerKey, this.id);
  }

  /**
   * Asks the node that has the session to close its connection and hand the session over.
   * False when it did not answer in time.
   */
  private async takeOver(owner: string, clientId: string, cleanStart: boolean): Promise<boolean> {
    const rid = randomBytes(8).toString('hex');
    const present = new Promise<boolean>((resolve) => this.replies.set(rid, resolve));
    try {
      await this.send(this.keys.direct(owner), {
        op: 'takeover',
        clientId,
        from: this.id,
        clean: cleanStart,
        rid,
      });
      const answer = await Promise.race([present, sleep(REPLY_TIMEOUT_MS).then(() => undefined)]);
      if (answer === undefined) return false;
      if (!answer) return true;
    } finally {
      this.replies.delete(rid);
    }
    const json = await this.redis.get(this.keys.handoff(rid));
    if (json === null) throw new Error(`the session of ${clientId} was not found in Redis`);
    const { snapshot, outgoing } = parseSnapshot(json);
    const session = this.restoreSession(snapshot);
    for (const { out, id } of outgoing) {
      this.messageIds.set(out.message, id);
      restoreOutgoing(session, out);
      this.broker.store.queued(session, out);
    }
    for (const id of snapshot.inboundQos2) session.inboundQos2.add(id);
    await this.logHeld(outgoing.map((o) => o.out.message));
    await this.redis.del(this.keys.handoff(rid));
    return true;
  }

  /** On the node that has the session: ends its connection here and hands the session on. */
  private async handOver(clientId: string, to: string, cleanStart: boolean, rid: string): Promise<void> {
    const session = this.broker.sessions.get(clientId);
    let present = false;
    if (session !== undefined) {
      const conn = session.outlet;
      if (conn instanceof Connection) {
        if (this.broker.log.connectionMessages)
          this.log.notice(`Client ${clientId} connected to node ${to}, closing its connection here.`);
        session.outlet = undefined;
        this.broker.store.commit();
        conn.disconnectWith(ReasonCode.SessionTakenOver, 'session taken over');
      }
      if (!cleanStart && session.expiryInterval > 0) {
        const json = snapshotSession(session, conn instanceof Connection ? conn.version : 4, (m) =>
          this.messageId(m),
        );
        void this.redis.set(this.keys.handoff(rid), json, 'PX', 60_000);
        present = true;
      }
      this.handingOff.add(clientId);
      this.broker.destroySession(session);
      this.handingOff.delete(clientId);
    }
    await this.send(this.keys.direct(to), { op: 'handed', rid, present });
  }

  private restoreSession(record: SessionRecord): Session {
    const existing = this.broker.sessions.get(record.clientId);
    if (existing !== undefined) this.broker.destroySession(existing);
    const session = this.broker.newSession(record.clientId);
    session.expiryInterval = record.expiryInterval;
    session.expiresAt = record.expiresAt;
    session.username = record.username;
    session.isBridge = record.isBridge;
    this.broker.store.sessionOpened(session, record.protocolVersion);
    for (const s of record.subscriptions) {
      this.broker.subscribe(session, subscriptionFromStored(session, s));
    }
    return session;
  }

  /** Writes the messages persistent sessions here now hold, and that no stream keeps yet, to the log. */
  private async logHeld(messages: Message[]): Promise<void> {
    const log = this.keys.log(this.id);
    const writes: Promise<void>[] = [];
    for (const message of messages) {
      if (!this.tracker.needsLog(message, log)) continue;
      const header = messageHeader(message, this.messageId(message));
      writes.push(
        this.redis
          .xadd(log, '*', 'h', header, 'p', message.payload)
          .then((entryId) => this.tracker.logged(message, log, entryId!)),
      );
    }
    await Promise.all(writes);
  }

  // ---- wills -----------------------------------------------------------------------------------

  willSet(clientId: string, will: Will, connection: object): void {
    this.willOwners.set(clientId, connection);
    const message = Message.fromPublish({ type: 'publish', dup: false, ...will }, clientId, false);
    void this.redis.hset(this.keys.wills(this.id), clientId, packMessage(message, this.messageId(message)));
  }

  willDone(clientId: string, connection: object): void {
    if (this.willOwners.get(clientId) !== connection) return;
    this.willOwners.delete(clientId);
    void this.redis.hdel(this.keys.wills(this.id), clientId);
  }

  // ---- membership ------------------------------------------------------------------------------

  private async beat(): Promise<void> {
    if (this.stopped) return;
    await this.redis.set(this.keys.alive(this.id), '1', 'PX', ALIVE_MS);
  }

  private async findDead(): Promise<void> {
    if (this.healthySince === 0 || Date.now() - this.healthySince < JUDGE_AFTER_MS) return;
    const nodes = await this.redis.hkeys(this.keys.nodes);
    for (const node of nodes) {
      if (node === this.id || this.adopting.has(node)) continue;
      if ((await this.redis.exists(this.keys.alive(node))) === 0) await this.adopt(node);
    }
  }

  /**
   * Takes over a dead node: its persistent sessions come here with every message its streams
   * still hold for them, the wills of its clients are published (once: one node wins the
   * lock), and the rest of the cluster forgets it. A node that loses the lock waits for the
   * winner to finish.
   */
  private adopt(node: string): Promise<void> {
    let running = this.adopting.get(node);
    if (running === undefined) {
      running = this.adoptOnce(node).finally(() => this.adopting.delete(node));
      this.adopting.set(node, running);
    }
    return running;
  }

  private async adoptOnce(node: string): Promise<void> {
    const won = await this.redis.set(this.keys.adopt(node), this.id, 'PX', 60_000, 'NX');
    if (won === null) {
      const until = Date.now() + CLAIM_TIMEOUT_MS;
      while (Date.now() < until && (await this.redis.hexists(this.keys.nodes, node)) === 1) await sleep(200);
      return;
    }
    const adopted: Session[] = [];
    for (const clientId of await this.redis.smembers(this.keys.sessions(node))) {
      const json = await this.redis.get(this.keys.session(clientId));
      if (json === null) continue;
      const taken = await this.redis.eval(SET_IF_OWNER, 1, this.keys.owner(clientId), node, this.id);
      if (taken !== 1) continue;
      const session = this.restoreSession(JSON.parse(json) as SessionRecord);
      if (session.expiresAt === 0 && session.expiryInterval !== 0xffffffff)
        session.expiresAt = Date.now() + session.expiryInterval * 1000;
      this.broker.store.sessionClosed(session);
      adopted.push(session);
    }
    const held: Message[] = [];
    if (adopted.length > 0) {
      for (const stream of [this.keys.inbox(node), this.keys.log(node)])
        for await (const message of this.replay(stream)) {
          if (this.requeue(adopted, message)) held.push(message);
        }
    }
    await this.logHeld(held);
    const wills = await this.redis.hgetallBuffer(this.keys.wills(node));
    for (const value of Object.values(wills)) this.broker.publishWill(unpackMessage(value).message);
    await this.redis.del(
      this.keys.inbox(node),
      this.keys.log(node),
      this.keys.wills(node),
      this.keys.subs(node),
      this.keys.sessions(node),
      this.keys.stats(node),
    );
    await this.redis.hdel(this.keys.nodes, node);
    await this.send(this.keys.broadcast, { op: 'gone', node });
    this.directory.dropNode(node);
    this.log.notice(
      `Cluster: node ${node} is gone; adopted ${adopted.length} sessions, ${held.length} messages and ${Object.keys(wills).length} wills.`,
    );
  }

  private async *replay(stream: string): AsyncGenerator<Message> {
    let from = '-';
    for (;;) {
      const page = await this.redis.xrangeBuffer(stream, from, '+', 'COUNT', READ_BATCH);
      for (const [, fields] of page) {
        const f = fieldMap(fields);
        const { message, id } = messageFrom(f.get('h')!.toString(), f.get('p')!);
        this.messageIds.set(message, id);
        yield message;
      }
      if (page.length < READ_BATCH) return;
      from = `(${page[page.length - 1]![0].toString()}`;
    }
  }

  /** Queues a replayed message for each adopted session it matches; true if any took it. */
  private requeue(sessions: Session[], message: Message): boolean {
    let taken = false;
    for (const session of sessions) {
      let qos = -1;
      let ids: number[] | undefined;
      for (const sub of session.subscriptions.values()) {
        if (!topicMatches(sub.matchFilter, message.topic) || sub.qos <= qos) continue;
        qos = sub.qos;
        ids = sub.subscriptionIds;
      }
      // QoS 0 (or no matching subscription) was never held for the session: nothing to replay.
      const granted = Math.min(qos, message.qos);
      if (granted <= 0) continue;
      const out: Outgoing = {
        message,
        qos: granted as QoS,
        retain: false,
        subscriptionIds: ids,
        packetId: 0,
        released: false,
        sent: false,
        storeId: 0,
      };
      restoreOutgoing(session, out);
      this.broker.store.queued(session, out);
      taken = true;
    }
    return taken;
  }

  // ---- $SYS ------------------------------------------------------------------------------------

  /** Each node's counters and the cluster's totals, under $SYS/broker/cluster on every node. */
  private async publishSys(): Promise<void> {
    const s = this.broker.stats;
    await this.redis.hset(this.keys.stats(this.id), {
      connected: this.broker.connectedCount,
      sessions: this.broker.sessions.size,
      received: s.messagesReceived,
      sent: s.messagesSent,
    });
    const nodes = await this.redis.hkeys(this.keys.nodes);
    const totals = { connected: 0, sessions: 0, received: 0, sent: 0 };
    for (const node of nodes) {
      const stats = await this.redis.hgetall(this.keys.stats(node));
      for (const key of Object.keys(totals) as Array<keyof typeof totals>) {
        const value = Number(stats[key] ?? 0);
        totals[key] += value;
        this.sys(`node/${node}/${key === 'connected' ? 'clients/connected' : key}`, value);
      }
    }
    this.sys('nodes', nodes.length);
    this.sys('node/self', this.id);
    this.sys('clients/connected', totals.connected);
    this.sys('clients/total', totals.sessions);
    this.sys('messages/received', totals.received);
    this.sys('messages/sent', totals.sent);
  }

  private sys(path: string, value: number | string): void {
    this.broker.publish(
      new Message(
        `$SYS/broker/cluster/${path}`,
        Buffer.from(String(value)),
        0,
        true,
        undefined,
        0,
        '',
        false,
      ),
    );
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private linkError(err: Error): void {
    if (this.stopped) return;
    this.log.debug(`Cluster: Redis: ${err.message}`);
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }
}

function fieldMap(fields: Buffer[]): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!.toString(), fields[i + 1]!);
  return map;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
