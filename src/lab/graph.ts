/**
 * The topology check, pure: brokers, the bridges between them with their topic rules, and where
 * messages are published and read. It follows topics, not just edges: each publisher's topic, and
 * a representative topic of every rule's source filter, is carried across the bridges with the
 * bridges' own TopicMap, never straight back over the bridge it came in on (the bridge flag and No
 * Local stop that). Following every simple path finds:
 *  - a cycle: a message comes back to a broker it already went through;
 *  - duplicates: a message reaches one broker by two paths;
 *  - an unreachable subscriber: no publisher's message reaches its broker matching its filters;
 *  - a rule that never matches: no publisher's message ever crosses it, or a prefix without a
 *    trailing '/' glued to its pattern (`remote` + `sensors/#` is `remotesensors/#`).
 */
import { TopicMap } from '../bridge/topic-map.js';
import { topicMatches } from '../client/match.js';
import type { BridgeTopicRule } from '../config/broker-config.js';

export interface GraphBridge {
  name: string;
  /** The broker the bridge runs in: its rules' local side. */
  from: string;
  to: string;
  rules: BridgeTopicRule[];
}

export interface Topology {
  brokers: string[];
  bridges: GraphBridge[];
  publishers: Array<{ name: string; broker: string; topic: string }>;
  subscribers: Array<{ name: string; broker: string; filters: string[] }>;
}

export type FindingKind = 'cycle' | 'duplicate' | 'unreachable' | 'never-matches';

export interface Finding {
  kind: FindingKind;
  message: string;
}

interface Hop {
  bridge: number;
  rule: number;
  broker: string;
  topic: string;
}

export function ruleText(rule: BridgeTopicRule): string {
  const q = (s: string) => (s === '' ? '""' : s);
  const prefixes =
    rule.localPrefix === '' && rule.remotePrefix === ''
      ? ''
      : ` ${q(rule.localPrefix)} ${q(rule.remotePrefix)}`;
  return `${q(rule.pattern)} ${rule.direction} ${rule.qos}${prefixes}`;
}

/** A topic the filter matches: each wildcard level stands for one level named after it. */
export function sampleTopic(filter: string): string {
  return filter
    .split('/')
    .map((l) => (l === '+' ? 'any' : l === '#' ? 'any' : l))
    .join('/');
}

function describePath(start: string, hops: readonly Hop[], bridges: readonly GraphBridge[]): string {
  return [start, ...hops.map((h) => `${h.broker} (${bridges[h.bridge]!.name})`)].join(' -> ');
}

/** Findings of one kind through the same bridges are one finding. */
function bridgeSet(hops: readonly Hop[]): string {
  return [...new Set(hops.map((h) => h.bridge))].sort((a, b) => a - b).join(',');
}

export function checkTopology(topology: Topology): Finding[] {
  const { bridges } = topology;
  const maps = bridges.map((b) => new TopicMap(b.rules));
  const findings = new Map<string, Finding>();
  const add = (key: string, kind: FindingKind, message: string) => {
    if (!findings.has(key)) findings.set(key, { kind, message });
  };
  /** Rules (bridge:rule) that a publisher's message crosses. */
  const used = new Set<string>();
  /** Broker → topics that publishers' messages reach it with. */
  const reached = new Map<string, Set<string>>();

  const follow = (start: string, topic: string, fromPublisher: boolean) => {
    const firstPath = new Map<string, { text: string; hops: Hop[] }>();
    const walk = (broker: string, current: string, hops: Hop[], visited: string[]) => {
      if (fromPublisher) {
        const topics = reached.get(broker) ?? new Set<string>();
        topics.add(current);
        reached.set(broker, topics);
      }
      const here = describePath(start, hops, bridges);
      const earlier = firstPath.get(broker);
      if (earlier === undefined) firstPath.set(broker, { text: here, hops });
      else
        add(
          `dup:${bridgeSet([...earlier.hops, ...hops])}`,
          'duplicate',
          `duplicate path: '${topic}' published on ${start} reaches ${broker} twice: ${earlier.text}; and ${here}`,
        );
      const last = hops.at(-1)?.bridge;
      bridges.forEach((b, i) => {
        if (i === last) return;
        const out = b.from === broker ? maps[i]!.toRemote(current) : undefined;
        const back = b.to === broker ? maps[i]!.toLocal(current) : undefined;
        for (const [crossing, next] of [
          [out, b.to],
          [back, b.from],
        ] as const) {
          if (crossing === undefined) continue;
          if (fromPublisher) used.add(`${i}:${crossing.rule}`);
          const hop = { bridge: i, rule: crossing.rule, broker: next, topic: crossing.topic };
          if (visited.includes(next)) {
            const from = visited.indexOf(next);
            const loop = [...hops.slice(from), hop];
            const names = loop.map(
              (h) => `${bridges[h.bridge]!.name} "${ruleText(bridges[h.bridge]!.rules[h.rule]!)}"`,
            );
            const brokers = [next, ...loop.map((h) => h.broker)].join(' -> ');
            add(
              `cycle:${bridgeSet(loop)}`,
              'cycle',
              `cycle: '${topic}' can circulate ${brokers} through ${[...new Set(names)].join(', ')}`,
            );
            continue;
          }
          walk(next, crossing.topic, [...hops, hop], [...visited, next]);
        }
      });
    };
    walk(start, topic, [], [start]);
  };

  for (const p of topology.publishers) follow(p.broker, p.topic, true);
  bridges.forEach((b, i) => {
    for (const rule of b.rules) {
      const local = rule.pattern === '' ? rule.localPrefix : rule.localPrefix + rule.pattern;
      const remote = rule.pattern === '' ? rule.remotePrefix : rule.remotePrefix + rule.pattern;
      if (rule.direction !== 'in') follow(b.from, sampleTopic(local), false);
      if (rule.direction !== 'out') follow(b.to, sampleTopic(remote), false);
      for (const prefix of [rule.localPrefix, rule.remotePrefix]) {
        if (rule.pattern === '' || prefix === '' || prefix.endsWith('/') || rule.pattern.startsWith('/'))
          continue;
        add(
          `glued:${i}:${prefix}`,
          'never-matches',
          `rule never matches as meant: bridge ${b.name} "${ruleText(rule)}": prefix '${prefix}' has no trailing '/', so the filter is '${prefix}${rule.pattern}'`,
        );
      }
    }
  });

  if (topology.publishers.length > 0) {
    bridges.forEach((b, i) => {
      b.rules.forEach((rule, j) => {
        if (!used.has(`${i}:${j}`))
          add(
            `unused:${i}:${j}`,
            'never-matches',
            `rule never matches: bridge ${b.name} (${b.from} -> ${b.to}) "${ruleText(rule)}": no publisher's message crosses it`,
          );
      });
    });
    for (const s of topology.subscribers) {
      const topics = reached.get(s.broker) ?? new Set<string>();
      const hit = [...topics].some((t) => s.filters.some((f) => topicMatches(f, t)));
      if (!hit)
        add(
          `unreachable:${s.name}`,
          'unreachable',
          `unreachable subscriber: ${s.name} on ${s.broker} (${s.filters.join(', ')}): no publisher's message reaches it`,
        );
    }
  }
  return [...findings.values()];
}
