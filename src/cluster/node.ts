import type { Broker } from '../broker/broker.js';
import type { ClusterHooks } from '../broker/cluster-hooks.js';
import { Message } from '../broker/message.js';
import type { ClusterSettings } from '../config/broker-config.js';
import type { Will } from '../protocol/types.js';
import { Directory } from './directory.js';
import { Forwarder } from './forward.js';
import { SessionHandover } from './handover.js';
import { InboxReader } from './inbox.js';
import { ClusterLink, type Control } from './link.js';
import { redactUrl } from './redis.js';
import { ClusterRouter } from './router.js';
import { ClusterStore } from './store.js';
import { ALIVE_MS, HEARTBEAT_MS, JUDGE_AFTER_MS } from './timing.js';

/**
 * One broker's membership in a cluster of brokers that share a Redis. Messages go only to the
 * nodes whose subscriptions match (directory.ts), through each node's inbox stream (forward.ts,
 * inbox.ts); retained messages, persistent sessions and wills live in Redis (link.ts), so any
 * node can serve any client and a node that dies is adopted by another (handover.ts). This
 * class joins the parts: it keeps the directory and membership, and answers the control channel.
 */
export class ClusterNode implements ClusterHooks {
  private readonly link: ClusterLink;
  private readonly directory: Directory;
  private readonly forwarder: Forwarder;
  private readonly inbox: InboxReader;
  private readonly handover: SessionHandover;
  private router!: ClusterRouter;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly broker: Broker,
    private readonly settings: ClusterSettings,
  ) {
    this.link = new ClusterLink(settings);
    this.directory = new Directory(this.link.id);
    this.forwarder = new Forwarder(broker, settings, this.link, this.directory);
    this.inbox = new InboxReader(broker, this.link, (err) => this.linkError(err));
    this.handover = new SessionHandover(broker, this.link, this.directory);
  }

  get id(): string {
    return this.link.id;
  }

  private get log() {
    return this.broker.log;
  }

  async start(): Promise<void> {
    const url = this.settings.url;
    const { redis, subscriber, keys } = this.link;
    await this.link.open();
    for (const client of this.link.clients) client.on('error', (err: Error) => this.linkError(err));
    redis.on('ready', () => {
      this.link.healthySince = Date.now();
      this.log.notice('Cluster: connected to Redis again; catching up.');
      void this.announceAll();
    });
    redis.on('close', () => {
      if (this.link.healthySince !== 0 && !this.link.stopped)
        this.log.warning(
          `Cluster: lost Redis at ${redactUrl(url)}; serving local clients, buffering forwards.`,
        );
      this.link.healthySince = 0;
    });
    subscriber.on('message', (_channel: string, text: string) => this.control(JSON.parse(text) as Control));
    subscriber.on('ready', () => void this.loadDirectory());
    await subscriber.subscribe(keys.broadcast, keys.direct(this.id));
    this.link.healthySince = Date.now();

    // Sessions restored from this node's own store belong to its previous run, which the
    // cluster adopts from Redis like any dead node: the store is not the cluster's record.
    for (const session of [...this.broker.sessions.values()]) this.broker.destroySession(session);

    await this.beat();
    await redis.hset(keys.nodes, this.id, JSON.stringify({ startedAt: Date.now() }));
    await this.loadDirectory();
    for (const message of await this.link.allRetained()) this.broker.retained.set(message);

    this.router = new ClusterRouter(this.broker.router, (entry, present) => this.announce(entry, present));
    this.broker.router = this.router;
    this.broker.store = new ClusterStore(this.broker.store, this.link.tracker, this.handover);
    this.inbox.start();
    this.every(HEARTBEAT_MS, () => void this.beat());
    this.every(2 * HEARTBEAT_MS, () => void this.findDead());
    if (this.broker.config.sysInterval > 0)
      this.every(this.broker.config.sysInterval * 1000, () => void this.publishSys());
    this.log.notice(`Cluster: node ${this.id} joined through ${redactUrl(url)}.`);
  }

  async stop(): Promise<void> {
    this.link.stopped = true;
    const reading = this.inbox.stop();
    for (const t of this.timers) clearInterval(t);
    // Leaving is dying politely: without a heartbeat the others adopt this node's sessions.
    await this.link.redis.del(this.link.keys.alive(this.id)).catch(() => undefined);
    this.link.reader.disconnect();
    await reading;
    this.link.subscriber.disconnect();
    await this.link.redis.quit().catch(() => undefined);
  }

  // ---- the broker's hooks ----------------------------------------------------------------------

  sharedElsewhere(groupKey: string, topic: string): boolean {
    return this.forwarder.sharedElsewhere(groupKey, topic);
  }

  forward(message: Message): number {
    return this.forwarder.forward(message);
  }

  takeDurable(): Promise<void> | undefined {
    return this.forwarder.takeDurable();
  }

  claim(clientId: string, cleanStart: boolean): Promise<void> {
    return this.handover.claim(clientId, cleanStart);
  }

  willSet(clientId: string, will: Will, connection: object): void {
    this.handover.willSet(clientId, will, connection);
  }

  willDone(clientId: string, connection: object): void {
    this.handover.willDone(clientId, connection);
  }

  // ---- the directory ---------------------------------------------------------------------------

  private announce(entry: string, present: boolean): void {
    const { redis, keys } = this.link;
    const key = keys.subs(this.id);
    if (present) void redis.sadd(key, entry);
    else void redis.srem(key, entry);
    void this.link.send(keys.broadcast, { op: present ? 'sub' : 'unsub', node: this.id, entry });
  }

  /** After Redis came back: this node's entries may have been lost with it. */
  private async announceAll(): Promise<void> {
    if (this.link.stopped || this.router === undefined) return;
    const { redis, keys } = this.link;
    const entries = this.router.entries;
    if (entries.length > 0) await redis.sadd(keys.subs(this.id), ...entries);
    await redis.hset(keys.nodes, this.id, JSON.stringify({ startedAt: this.broker.stats.startedAt }));
    for (const entry of entries) await this.link.send(keys.broadcast, { op: 'sub', node: this.id, entry });
  }

  async nodeCount(): Promise<number> {
    return this.link.redis.hlen(this.link.keys.nodes);
  }

  private async loadDirectory(): Promise<void> {
    const { redis, keys } = this.link;
    const nodes = await redis.hkeys(keys.nodes);
    for (const node of nodes) {
      if (node === this.id) continue;
      const entries = await redis.smembers(keys.subs(node));
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
        void this.handover.handOver(msg.clientId, msg.from, msg.clean, msg.rid);
        return;
      case 'handed':
        this.handover.answered(msg.rid, msg.present);
        return;
    }
  }

  private async retainedChanged(topic: string): Promise<void> {
    this.broker.retained.set(
      (await this.link.retained(topic)) ??
        new Message(topic, Buffer.alloc(0), 0, true, undefined, 0, '', false),
    );
  }

  // ---- membership ------------------------------------------------------------------------------

  private async beat(): Promise<void> {
    if (this.link.stopped) return;
    await this.link.redis.set(this.link.keys.alive(this.id), '1', 'PX', ALIVE_MS);
  }

  private async findDead(): Promise<void> {
    const { healthySince, redis, keys } = this.link;
    if (healthySince === 0 || Date.now() - healthySince < JUDGE_AFTER_MS) return;
    const nodes = await redis.hkeys(keys.nodes);
    for (const node of nodes) {
      if (node === this.id || this.handover.isAdopting(node)) continue;
      if ((await redis.exists(keys.alive(node))) === 0) await this.handover.adopt(node);
    }
  }

  // ---- $SYS ------------------------------------------------------------------------------------

  /** Each node's counters and the cluster's totals, under $SYS/broker/cluster on every node. */
  private async publishSys(): Promise<void> {
    const { redis, keys } = this.link;
    const s = this.broker.stats;
    await redis.hset(keys.stats(this.id), {
      connected: this.broker.connectedCount,
      sessions: this.broker.sessions.size,
      received: s.messagesReceived,
      sent: s.messagesSent,
    });
    const nodes = await redis.hkeys(keys.nodes);
    const totals = { connected: 0, sessions: 0, received: 0, sent: 0 };
    for (const node of nodes) {
      const stats = await redis.hgetall(keys.stats(node));
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
    if (this.link.stopped) return;
    this.log.debug(`Cluster: Redis: ${err.message}`);
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
