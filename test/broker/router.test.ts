import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeliveryPlan, Router } from '../../src/broker/router.js';
import { Session, type Subscription } from '../../src/broker/session.js';
import type { QoS } from '../../src/protocol/types.js';
import { parseSharedFilter } from '../../src/topics/validate.js';
import { naiveMatches } from '../helpers/topic-oracle.js';

const sessions = new Map<string, Session>();
function session(clientId: string): Session {
  let s = sessions.get(clientId);
  if (s === undefined) {
    s = new Session(clientId);
    sessions.set(clientId, s);
  }
  return s;
}

function sub(
  clientId: string,
  filter: string,
  qos: QoS = 0,
  subscriptionId = 0,
  noLocal = false,
): Subscription {
  const shared = parseSharedFilter(filter);
  return Session.subscriptionFrom(
    session(clientId),
    { topicFilter: filter, qos, noLocal },
    shared ? shared.filter : filter,
    shared ? shared.group : '',
    subscriptionId,
  );
}

/** A plan in a comparable form: targets and share groups sorted, sessions by client id. */
function normal(plan: DeliveryPlan): unknown {
  return {
    targets: plan.targets
      .map((t) => ({
        client: t.session.clientId,
        qos: t.qos,
        noLocal: t.noLocal,
        rap: t.retainAsPublished,
        ids: t.subscriptionIds ? [...t.subscriptionIds].sort() : undefined,
      }))
      .sort((a, b) => a.client.localeCompare(b.client)),
    shared: plan.shared
      .map((g) => ({ key: g.key, members: g.members.map((m) => m.clientId).sort() }))
      .sort((a, b) => a.key.localeCompare(b.key)),
  };
}

/** What a router that has never cached anything plans for topic, given these subscriptions. */
function fresh(subs: Iterable<Subscription>, topic: string): unknown {
  const r = new Router();
  for (const s of subs) r.add(s);
  return normal(r.plan(topic));
}

describe('Router: targeted plan invalidation', () => {
  it('keeps the plan of a topic that a subscription change cannot match', () => {
    const r = new Router();
    r.add(sub('c0', '$SYS/#'));
    r.add(sub('c1', 'a/+'));
    const ab = r.plan('a/b');
    const sys = r.plan('$SYS/x');
    r.add(sub('c2', 'other/#'));
    r.add(sub('c3', 'a/c'));
    r.add(sub('c4', 'a/b/+'));
    r.add(sub('c5', '$share/g/b/+'));
    r.remove(sub('c3', 'a/c'));
    expect(r.plan('a/b')).toBe(ab);
    r.add(sub('c6', '#'));
    const ab2 = r.plan('a/b');
    expect(ab2).not.toBe(ab);
    expect(ab2.targets.map((t) => t.session.clientId).sort()).toEqual(['c1', 'c6']);
    r.add(sub('c7', '+/x/#'));
    // Neither `#` nor `+/x/#` reaches a $ topic [MQTT-4.7.2-1], so its plan stayed.
    expect(r.plan('$SYS/x')).toBe(sys);
    expect(r.plan('a/b')).toBe(ab2);
  });

  it('replans a cached topic after overlapping subscribes and unsubscribes', () => {
    const r = new Router();
    r.add(sub('c1', 'a/b', 0));
    expect(normal(r.plan('a/b'))).toEqual(fresh([sub('c1', 'a/b', 0)], 'a/b'));
    r.add(sub('c1', 'a/+', 2, 7));
    const plan = r.plan('a/b');
    expect(plan.targets).toHaveLength(1);
    expect(plan.targets[0]!.qos).toBe(2);
    expect(plan.targets[0]!.subscriptionIds).toEqual([7]);
    r.add(sub('c2', 'a/#', 1));
    expect(r.plan('a').targets.map((t) => t.session.clientId)).toEqual(['c2']);
    expect(
      r
        .plan('a/b')
        .targets.map((t) => t.session.clientId)
        .sort(),
    ).toEqual(['c1', 'c2']);
    r.remove(sub('c1', 'a/+'));
    expect(r.plan('a/b').targets.find((t) => t.session.clientId === 'c1')!.qos).toBe(0);
    r.remove(sub('c2', 'a/#'));
    expect(r.plan('a').targets).toEqual([]);
    r.remove(sub('c1', 'a/b'));
    expect(r.plan('a/b').targets).toEqual([]);
    expect(r.size).toBe(0);
  });

  it('replans shared groups as members join and leave', () => {
    const r = new Router();
    r.add(sub('c1', '$share/g/s/+'));
    expect(r.plan('s/1').shared.map((g) => g.members.length)).toEqual([1]);
    r.add(sub('c2', '$share/g/s/+'));
    r.add(sub('c3', '$share/h/s/#'));
    expect(normal(r.plan('s/1'))).toEqual({
      targets: [],
      shared: [
        { key: 'g\u0000s/+', members: ['c1', 'c2'] },
        { key: 'h\u0000s/#', members: ['c3'] },
      ],
    });
    r.remove(sub('c1', '$share/g/s/+'));
    expect(
      r
        .plan('s/1')
        .shared.find((g) => g.key === 'g\u0000s/+')!
        .members.map((m) => m.clientId),
    ).toEqual(['c2']);
    r.remove(sub('c3', '$share/h/s/#'));
    expect(r.plan('s/1').shared.map((g) => g.key)).toEqual(['g\u0000s/+']);
  });

  it('returns the same plan object for a known topic, with no allocation per publish', () => {
    const r = new Router();
    r.add(sub('c1', 'bench/+'));
    const first = r.plan('bench/1');
    for (let i = 0; i < 1000; i++) r.add(sub(`x${i}`, `bench/x${i}`));
    expect(r.plan('bench/1')).toBe(first);
  });

  it('stays correct once the plan cache is full and evicts', () => {
    const r = new Router();
    r.add(sub('c1', '#'));
    for (let i = 0; i < 20_050; i++) expect(r.plan(`t/${i}`).targets).toHaveLength(1);
    r.add(sub('c2', 't/5'));
    r.add(sub('c3', 't/20049'));
    expect(r.plan('t/5').targets).toHaveLength(2);
    expect(r.plan('t/20049').targets).toHaveLength(2);
    expect(r.plan('t/20048').targets).toHaveLength(1);
  });

  describe('property: every cached plan equals a freshly computed one', () => {
    const level = fc.constantFrom('a', 'b', '', '$s');
    const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('/'));
    const plain = fc
      .tuple(fc.array(fc.constantFrom('a', 'b', '', '$s', '+'), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([ls, hash]) => (hash ? [...ls.slice(0, -1), '#'] : ls).join('/'));
    const filter = fc.oneof(
      plain,
      fc.tuple(fc.constantFrom('g', 'h'), plain).map(([g, f]) => `$share/${g}/${f}`),
    );
    const client = fc.constantFrom('k1', 'k2', 'k3');
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        filter,
        client,
        qos: fc.constantFrom<QoS>(0, 1, 2),
        id: fc.constantFrom(0, 1, 2),
      }),
      fc.record({ kind: fc.constant('remove' as const), filter, client }),
      fc.record({ kind: fc.constant('plan' as const), topic }),
    );

    it('after any sequence of subscribes, unsubscribes and publishes, and only changed plans are rebuilt', () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 60 }), fc.array(topic, { maxLength: 10 }), (ops, probes) => {
          const r = new Router();
          // What the broker holds: one subscription per (client, filter), replaced on resubscribe.
          const model = new Map<string, Subscription>();
          const seen = new Set<string>();
          for (const o of ops) {
            if (o.kind === 'plan') {
              seen.add(o.topic);
              expect(normal(r.plan(o.topic))).toEqual(fresh(model.values(), o.topic));
              continue;
            }
            const before = new Map([...seen].map((t) => [t, r.plan(t)]));
            const id = `${o.client}\n${o.filter}`;
            const old = model.get(id);
            if (old) r.remove(old);
            model.delete(id);
            if (o.kind === 'add') {
              const s = sub(o.client, o.filter, o.qos, o.id);
              r.add(s);
              model.set(id, s);
            }
            const matchFilter = parseSharedFilter(o.filter)?.filter ?? o.filter;
            for (const t of seen) {
              expect(normal(r.plan(t))).toEqual(fresh(model.values(), t));
              if (!naiveMatches(matchFilter, t)) expect(r.plan(t)).toBe(before.get(t));
            }
          }
          for (const t of probes) expect(normal(r.plan(t))).toEqual(fresh(model.values(), t));
        }),
        { numRuns: 300 },
      );
    });
  });
});
