import type { QoS } from '../protocol/types.js';
import { SubscriptionTrie } from '../topics/trie.js';
import type { Session, Subscription } from './session.js';

/** Every delivery one topic gets, merged per client (overlapping subscriptions, [MQTT-3.3.5-1]). */
export interface Target {
  readonly session: Session;
  readonly qos: QoS;
  /** Skip the publisher itself: all of its matching subscriptions asked for No Local. */
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  /** Subscription identifiers of every matching subscription [MQTT-3.3.4-3]. */
  readonly subscriptionIds: number[] | undefined;
}

export interface SharedGroup {
  /** group + '\0' + filter: one round-robin position per group and filter. */
  readonly key: string;
  readonly members: Subscription[];
}

export interface DeliveryPlan {
  readonly targets: Target[];
  readonly shared: SharedGroup[];
}

/**
 * What the broker needs from subscription routing. Router keeps it in this process; a cluster
 * implementation can keep the same contract over shared state.
 */
export interface SubscriptionIndex {
  readonly size: number;
  add(sub: Subscription): void;
  remove(sub: Subscription): void;
  /** Every session and share group a topic reaches; must not allocate for a known topic. */
  plan(topic: string): DeliveryPlan;
  /** The member of a share group that takes the next message. */
  pickShared(group: SharedGroup): Subscription | undefined;
}

const EMPTY_PLAN: DeliveryPlan = { targets: [], shared: [] };
const PLAN_CACHE_LIMIT = 20_000;

/**
 * The cached topics, one node per topic level: the mirror image of the subscription trie, searched
 * with a filter, so that a changed filter finds the plans it affects by walking only the branches
 * it can match.
 */
interface TopicNode {
  children: Map<string, TopicNode> | undefined;
  /** The cached topic that ends at this node. */
  topic: string | undefined;
}

function isEmptyNode(node: TopicNode): boolean {
  return node.topic === undefined && node.children === undefined;
}

/**
 * Maps a topic to the sessions that receive it. Plans are computed once per topic and cached, so
 * routing a PUBLISH to a known topic allocates nothing. A subscription change drops only the
 * plans of the topics its filter matches: a storm of clients each subscribing to its own topic
 * leaves every other plan warm.
 */
export class Router implements SubscriptionIndex {
  private readonly trie = new SubscriptionTrie<Subscription>();
  /** In insertion order, so the first entry is the oldest when the cache is full. */
  private plans = new Map<string, DeliveryPlan>();
  private readonly cached: TopicNode = { children: undefined, topic: undefined };
  private readonly roundRobin = new Map<string, number>();

  get size(): number {
    return this.trie.size;
  }

  add(sub: Subscription): void {
    this.trie.add(sub.matchFilter, keyOf(sub), sub);
    this.invalidate(sub.matchFilter);
  }

  remove(sub: Subscription): void {
    if (this.trie.remove(sub.matchFilter, keyOf(sub))) this.invalidate(sub.matchFilter);
  }

  plan(topic: string): DeliveryPlan {
    let plan = this.plans.get(topic);
    if (plan === undefined) {
      plan = this.build(topic);
      if (this.plans.size >= PLAN_CACHE_LIMIT) this.forget(this.plans.keys().next().value!);
      this.plans.set(topic, plan);
      this.index(topic);
    }
    return plan;
  }

  /** The next member of a share group that can take a message now, round robin [MQTT-4.8.2]. */
  pickShared(group: SharedGroup): Subscription | undefined {
    const n = group.members.length;
    const start = this.roundRobin.get(group.key) ?? 0;
    // A connected member with room; else a congested one (flow control then waits for it); else any.
    let congested = -1;
    let offline: Subscription | undefined;
    for (let i = 0; i < n; i++) {
      const member = group.members[(start + i) % n]!;
      if (!member.session.connected) offline ??= member;
      else if (!member.session.congested) {
        this.roundRobin.set(group.key, (start + i + 1) % n);
        return member;
      } else if (congested < 0) congested = i;
    }
    if (congested < 0) return offline;
    this.roundRobin.set(group.key, (start + congested + 1) % n);
    return group.members[(start + congested) % n];
  }

  private index(topic: string): void {
    let node = this.cached;
    for (const level of topic.split('/')) {
      node.children ??= new Map();
      let next = node.children.get(level);
      if (next === undefined) {
        next = { children: undefined, topic: undefined };
        node.children.set(level, next);
      }
      node = next;
    }
    node.topic = topic;
  }

  /** Drops one cached topic and prunes the branch it leaves empty. */
  private forget(topic: string): void {
    this.plans.delete(topic);
    const levels = topic.split('/');
    const path: TopicNode[] = [this.cached];
    for (const level of levels) {
      const next = path[path.length - 1]!.children?.get(level);
      if (next === undefined) return;
      path.push(next);
    }
    path[levels.length]!.topic = undefined;
    for (let i = levels.length; i > 0 && isEmptyNode(path[i]!); i--) {
      const parent = path[i - 1]!;
      parent.children!.delete(levels[i - 1]!);
      if (parent.children!.size === 0) parent.children = undefined;
    }
  }

  /** Drops the plans of exactly the cached topics that filter matches. */
  private invalidate(filter: string): void {
    if (this.plans.size === 0) return;
    if (filter === '#') {
      this.keepOnlyDollarTopics();
      return;
    }
    this.dropMatching(this.cached, filter.split('/'));
  }

  /**
   * What `#` does: it matches every cached topic but the $ ones [MQTT-4.7.2-1]. Those few are
   * moved to a new map and the rest let go at once, where dropping each of them cost a new `#`
   * subscriber milliseconds before its first retained message (10,000 cached topics).
   */
  private keepOnlyDollarTopics(): void {
    const old = this.plans;
    this.plans = new Map();
    const kept = new Map<string, TopicNode>();
    for (const [key, child] of this.cached.children ?? [])
      if (key.charCodeAt(0) === 36 /* $ */) kept.set(key, child);
    this.cached.children = kept.size > 0 ? kept : undefined;
    const stack = [...kept.values()];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.topic !== undefined) this.plans.set(node.topic, old.get(node.topic)!);
      if (node.children !== undefined) for (const child of node.children.values()) stack.push(child);
    }
  }

  /**
   * Without recursion, here and in every walk of a topic tree: a topic may have 30,000 levels
   * (65,535 bytes of `a/a/...`), far deeper than the JavaScript stack goes.
   */
  private dropMatching(root: TopicNode, levels: string[]): void {
    const visited: Array<{ node: TopicNode; parent: TopicNode | undefined; key: string }> = [];
    const stack: Array<{ node: TopicNode; depth: number; parent: TopicNode | undefined; key: string }> = [
      { node: root, depth: 0, parent: undefined, key: '' },
    ];
    for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
      const { node, depth } = frame;
      visited.push(frame);
      if (depth === levels.length) {
        this.dropTopic(node);
        continue;
      }
      const level = levels[depth]!;
      if (level === '#') {
        // `a/#` also matches `a`; `#` alone matches every topic not starting with $ [MQTT-4.7.2-1].
        this.dropTopic(node);
        this.dropBelow(node, depth === 0);
        continue;
      }
      const children = node.children;
      if (children === undefined) continue;
      if (level === '+') {
        for (const [key, child] of children) {
          if (depth === 0 && key.charCodeAt(0) === 36 /* $ */) continue;
          stack.push({ node: child, depth: depth + 1, parent: node, key });
        }
      } else {
        const child = children.get(level);
        if (child !== undefined) stack.push({ node: child, depth: depth + 1, parent: node, key: level });
      }
    }
    // Children were visited after their parents: backwards, each branch is pruned from below.
    for (let i = visited.length - 1; i >= 0; i--) {
      const { node, parent, key } = visited[i]!;
      if (node.children?.size === 0) node.children = undefined;
      if (parent !== undefined && isEmptyNode(node)) parent.children?.delete(key);
    }
  }

  private dropTopic(node: TopicNode): void {
    if (node.topic === undefined) return;
    this.plans.delete(node.topic);
    node.topic = undefined;
  }

  /** Drops every cached topic below node, except the $ topics at the first level when asked to. */
  private dropBelow(node: TopicNode, keepDollar: boolean): void {
    const children = node.children;
    if (children === undefined) return;
    const below: TopicNode[] = [];
    for (const [key, child] of children) {
      if (keepDollar && key.charCodeAt(0) === 36 /* $ */) continue;
      below.push(child);
      children.delete(key);
    }
    if (children.size === 0) node.children = undefined;
    for (let next = below.pop(); next !== undefined; next = below.pop()) {
      this.dropTopic(next);
      if (next.children !== undefined) for (const child of next.children.values()) below.push(child);
      next.children = undefined;
    }
  }

  private build(topic: string): DeliveryPlan {
    const matches = this.trie.match(topic);
    if (matches.length === 0) return EMPTY_PLAN;
    const bySession = new Map<
      Session,
      { qos: QoS; noLocal: boolean; rap: boolean; ids: number[] | undefined }
    >();
    const groups = new Map<string, Subscription[]>();
    for (const sub of matches) {
      if (sub.group !== '') {
        const key = `${sub.group}\u0000${sub.matchFilter}`;
        const members = groups.get(key);
        if (members) members.push(sub);
        else groups.set(key, [sub]);
        continue;
      }
      const t = bySession.get(sub.session);
      if (t === undefined) {
        bySession.set(sub.session, {
          qos: sub.qos,
          noLocal: sub.noLocal,
          rap: sub.retainAsPublished,
          ids: sub.subscriptionId > 0 ? [sub.subscriptionId] : undefined,
        });
      } else {
        if (sub.qos > t.qos) t.qos = sub.qos;
        t.noLocal &&= sub.noLocal;
        t.rap ||= sub.retainAsPublished;
        if (sub.subscriptionId > 0) {
          if (t.ids === undefined) t.ids = [sub.subscriptionId];
          else t.ids.push(sub.subscriptionId);
        }
      }
    }
    const targets: Target[] = [];
    for (const [session, t] of bySession) {
      targets.push({
        session,
        qos: t.qos,
        noLocal: t.noLocal,
        retainAsPublished: t.rap,
        subscriptionIds: t.ids,
      });
    }
    const shared: SharedGroup[] = [];
    for (const [key, members] of groups) shared.push({ key, members });
    return { targets, shared };
  }
}

function keyOf(sub: Subscription): string {
  return `${sub.group}\u0000${sub.clientId}`;
}
