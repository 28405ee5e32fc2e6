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
 * Maps a topic to the sessions that receive it. Plans are computed once per topic and cached
 * until the subscriptions change, so routing a PUBLISH to a known topic allocates nothing.
 */
export class Router implements SubscriptionIndex {
  private readonly trie = new SubscriptionTrie<Subscription>();
  private readonly plans = new Map<string, DeliveryPlan>();
  private readonly roundRobin = new Map<string, number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(sub: Subscription): void {
    if (this.trie.add(sub.matchFilter, keyOf(sub), sub)) this.count++;
    this.plans.clear();
  }

  remove(sub: Subscription): void {
    if (this.trie.remove(sub.matchFilter, keyOf(sub))) this.count--;
    this.plans.clear();
  }

  plan(topic: string): DeliveryPlan {
    let plan = this.plans.get(topic);
    if (plan === undefined) {
      plan = this.build(topic);
      if (this.plans.size >= PLAN_CACHE_LIMIT) this.plans.clear();
      this.plans.set(topic, plan);
    }
    return plan;
  }

  /** The next member of a share group that can take a message now, round robin [MQTT-4.8.2]. */
  pickShared(group: SharedGroup): Subscription | undefined {
    const n = group.members.length;
    const start = this.roundRobin.get(group.key) ?? 0;
    let fallback: Subscription | undefined;
    for (let i = 0; i < n; i++) {
      const member = group.members[(start + i) % n]!;
      if (member.session.connected) {
        this.roundRobin.set(group.key, (start + i + 1) % n);
        return member;
      }
      fallback ??= member;
    }
    return fallback;
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
