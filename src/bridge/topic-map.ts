/**
 * Topic rules of one bridge, compiled: which filters to subscribe to on each side, and how a
 * topic is rewritten when it crosses. mosquitto's semantics: the local side uses LOCAL_PREFIX +
 * PATTERN, the remote side REMOTE_PREFIX + PATTERN; crossing strips one prefix and adds the other;
 * an empty pattern remaps exactly one topic. The first rule that matches a topic decides.
 *
 * Beyond mosquitto, the empty-pattern form also takes filters as "prefixes" (wildcard-anchored
 * remapping): `topic "" in 1 site1/# +/sensors/#` carries `x/sensors/a/b` to `site1/a/b`. What a
 * source filter's wildcards matched fills the destination's: its `#` takes the source's `#`
 * levels, and its `+` levels take the source's `+` levels in order (or none are kept, when the
 * destination has no `+`). bridge-rules.ts refuses a direction whose destination cannot be filled.
 */

import { topicMatches } from '../client/match.js';
import type { BridgeDirection, BridgeTopicRule } from '../config/broker-config.js';

export interface Crossing {
  /** Index of the rule in the bridge's `topic` list, for per-rule counts. */
  rule: number;
  topic: string;
  /** The rule's QoS: the most a crossing message keeps (QoS end to end is min(rule, message)). */
  qos: 0 | 1 | 2;
}

interface CompiledRule {
  index: number;
  direction: BridgeDirection;
  qos: 0 | 1 | 2;
  localFilter: string;
  remoteFilter: string;
  /** Part of a topic kept when it crosses: undefined for the exact and wildcard-anchored forms. */
  localPrefix: string;
  remotePrefix: string;
  kind: 'prefix' | 'exact' | 'anchored';
}

function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/** What the wildcards of a matching filter stood for: `+` levels in order, and `#`'s levels. */
interface Captures {
  plus: string[];
  hash: string[] | undefined;
}

function capture(filter: string, topic: string): Captures {
  const f = filter.split('/');
  const t = topic.split('/');
  const plus: string[] = [];
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return { plus, hash: t.slice(i) };
    if (f[i] === '+') plus.push(t[i]!);
  }
  return { plus, hash: undefined };
}

function fill(filter: string, captures: Captures): string {
  const out: string[] = [];
  const keepPlus = filter.split('/').filter((l) => l === '+').length === captures.plus.length;
  let next = 0;
  for (const level of filter.split('/')) {
    if (level === '#') {
      out.push(...(captures.hash ?? []));
    } else if (level === '+') {
      out.push(keepPlus ? captures.plus[next++]! : '');
    } else {
      out.push(level);
    }
  }
  return out.join('/');
}

/** Whether a topic matched by `from` can always be written as a topic of `to` (see the header). */
export function anchoredFillable(from: string, to: string): boolean {
  const plusOf = (f: string) => f.split('/').filter((l) => l === '+').length;
  if (to.endsWith('#') && !from.endsWith('#')) return false;
  return plusOf(to) === 0 || plusOf(to) === plusOf(from);
}

export class TopicMap {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly BridgeTopicRule[]) {
    this.rules = rules.map((r, index) => {
      const exact = r.pattern === '';
      const anchored = exact && (hasWildcard(r.localPrefix) || hasWildcard(r.remotePrefix));
      return {
        index,
        direction: r.direction,
        qos: r.qos,
        localFilter: exact ? r.localPrefix : r.localPrefix + r.pattern,
        remoteFilter: exact ? r.remotePrefix : r.remotePrefix + r.pattern,
        localPrefix: r.localPrefix,
        remotePrefix: r.remotePrefix,
        kind: anchored ? 'anchored' : exact ? 'exact' : 'prefix',
      };
    });
  }

  /** Filters to subscribe to on the local broker: one per out/both rule. */
  localSubscriptions(): Array<{ filter: string; qos: 0 | 1 | 2 }> {
    return this.rules.filter((r) => r.direction !== 'in').map((r) => ({ filter: r.localFilter, qos: r.qos }));
  }

  /** Filters to subscribe to on the remote broker: one per in/both rule. */
  remoteSubscriptions(): Array<{ filter: string; qos: 0 | 1 | 2 }> {
    return this.rules
      .filter((r) => r.direction !== 'out')
      .map((r) => ({ filter: r.remoteFilter, qos: r.qos }));
  }

  /** Remote filters of out-only rules: mosquitto unsubscribes them in case an old session had them. */
  outOnlyRemoteFilters(): string[] {
    return this.rules.filter((r) => r.direction === 'out').map((r) => r.remoteFilter);
  }

  /** A local topic on its way to the remote broker, or undefined when no out/both rule takes it. */
  toRemote(topic: string): Crossing | undefined {
    for (const r of this.rules) {
      if (r.direction === 'in' || !topicMatches(r.localFilter, topic)) continue;
      return { rule: r.index, qos: r.qos, topic: cross(r, topic, 'out') };
    }
    return undefined;
  }

  /** A remote topic on its way in, or undefined when no in/both rule takes it. */
  toLocal(topic: string): Crossing | undefined {
    for (const r of this.rules) {
      if (r.direction === 'out' || !topicMatches(r.remoteFilter, topic)) continue;
      return { rule: r.index, qos: r.qos, topic: cross(r, topic, 'in') };
    }
    return undefined;
  }

  get size(): number {
    return this.rules.length;
  }
}

function cross(r: CompiledRule, topic: string, way: 'in' | 'out'): string {
  const [fromFilter, toFilter, fromPrefix, toPrefix] =
    way === 'out'
      ? [r.localFilter, r.remoteFilter, r.localPrefix, r.remotePrefix]
      : [r.remoteFilter, r.localFilter, r.remotePrefix, r.localPrefix];
  if (r.kind === 'exact') return toPrefix;
  if (r.kind === 'anchored') return fill(toFilter, capture(fromFilter, topic));
  return toPrefix + topic.slice(fromPrefix.length);
}
