import type { Broker } from '../broker/broker.js';
import type { Message } from '../broker/message.js';
import type { ClusterSettings } from '../config/broker-config.js';
import { messageHeader } from './codec.js';
import type { Directory } from './directory.js';
import type { ClusterLink } from './link.js';

/**
 * Sends the messages published here to the nodes whose subscriptions match (directory.ts), one
 * inbox entry per node, and takes turns with the other nodes for the share groups they have
 * members in. A QoS 1/2 message is acknowledged only once Redis has every copy another node or
 * a persistent session here needs (takeDurable).
 */
export class Forwarder {
  /** Share groups of the message being routed that turn-taking gave to another node. */
  private sharedPicks = new Map<string, string>();
  private sharedTopic: string | undefined;
  private sharedTargets: ReturnType<Directory['match']>;
  private readonly turns = new Map<string, number>();
  private durable: Promise<void> | undefined;
  private qos0Buffered = 0;
  private dropWarnedAt = 0;

  constructor(
    private readonly broker: Broker,
    private readonly settings: ClusterSettings,
    private readonly link: ClusterLink,
    private readonly directory: Directory,
  ) {}

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
    const header = messageHeader(message, this.link.messageId(message));
    if (message.retain && this.broker.config.retainAvailable) waits.push(this.link.shareRetained(message));
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
        const added = this.link.appendInbox(node, header, message, targets.plain.has(node), groups);
        if (message.qos > 0) waits.push(added);
        else void added.finally(() => this.qos0Buffered--);
        nodes++;
      }
    }
    if (message.qos > 0) {
      const logged = this.link.appendLog(message, header);
      if (logged !== undefined) waits.push(logged);
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
    if (this.link.healthySince === 0 && this.qos0Buffered >= this.settings.maxBuffered) {
      const now = Date.now();
      if (now - this.dropWarnedAt >= 10_000) {
        this.dropWarnedAt = now;
        this.broker.log.warning(
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
}
