import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SubscriptionTrie } from '../../src/topics/trie.js';
import { naiveMatches } from '../helpers/topic-oracle.js';

/** The filters of `filters` that match `topic`, through a trie holding each filter once. */
function matching(filters: string[], topic: string): string[] {
  const trie = new SubscriptionTrie<string>();
  for (const filter of filters) trie.add(filter, 'k', filter);
  return [...trie.match(topic)].sort();
}

function matches(filter: string, topic: string): boolean {
  return matching([filter], topic).length === 1;
}

describe('SubscriptionTrie: spec 4.7 examples', () => {
  it('multi-level wildcard #', () => {
    for (const topic of [
      'sport/tennis/player1',
      'sport/tennis/player1/ranking',
      'sport/tennis/player1/score/wimbledon',
    ]) {
      expect(matches('sport/tennis/player1/#', topic)).toBe(true);
    }
    expect(matches('sport/#', 'sport')).toBe(true);
    expect(matches('sport/tennis/player1/#', 'sport/tennis')).toBe(false);
    expect(matches('#', 'a/b/c')).toBe(true);
    expect(matches('#', '/')).toBe(true);
    expect(matches('a/#', 'a')).toBe(true);
    expect(matches('a/#', 'a/')).toBe(true);
    expect(matches('a/#', 'ab')).toBe(false);
  });

  it('single-level wildcard +', () => {
    expect(matches('sport/tennis/+', 'sport/tennis/player1')).toBe(true);
    expect(matches('sport/tennis/+', 'sport/tennis/player2')).toBe(true);
    expect(matches('sport/tennis/+', 'sport/tennis/player1/ranking')).toBe(false);
    expect(matches('sport/+', 'sport')).toBe(false);
    expect(matches('sport/+', 'sport/')).toBe(true);
    expect(matches('+', 'sport')).toBe(true);
    expect(matches('+/tennis/#', 'sport/tennis/x')).toBe(true);
    expect(matches('sport/+/player1', 'sport/tennis/player1')).toBe(true);
    expect(matches('+/+', '/finance')).toBe(true);
    expect(matches('/+', '/finance')).toBe(true);
    expect(matches('+', '/finance')).toBe(false);
    expect(matches('+/#', 'a')).toBe(true);
  });

  it('empty levels are ordinary levels', () => {
    expect(matches('+/+', '/')).toBe(true);
    expect(matches('/', '/')).toBe(true);
    expect(matches('+', '/')).toBe(false);
    expect(matches('a//b', 'a//b')).toBe(true);
    expect(matches('a/+/b', 'a//b')).toBe(true);
    expect(matches('a//b', 'a/b')).toBe(false);
    expect(matches('/#', '/')).toBe(true);
  });

  it('filters starting with a wildcard do not match $ topics [MQTT-4.7.2-1]', () => {
    expect(matches('#', '$SYS/broker/uptime')).toBe(false);
    expect(matches('+/monitor/Clients', '$SYS/monitor/Clients')).toBe(false);
    expect(matches('+', '$SYS')).toBe(false);
    expect(matches('$SYS/#', '$SYS/monitor/Clients')).toBe(true);
    expect(matches('$SYS/#', '$SYS')).toBe(true);
    expect(matches('$SYS/monitor/+', '$SYS/monitor/Clients')).toBe(true);
    expect(matches('a/#', 'a/$x')).toBe(true);
    expect(matches('a/+', 'a/$x')).toBe(true);
  });
});

describe('SubscriptionTrie: bookkeeping', () => {
  it('keeps one value per (filter, key) and counts pairs', () => {
    const trie = new SubscriptionTrie<string>();
    expect(trie.add('a/+', 'c1', 'v1')).toBe(true);
    expect(trie.add('a/+', 'c1', 'v2')).toBe(false);
    expect(trie.add('a/+', 'c2', 'w')).toBe(true);
    expect(trie.add('a/#', 'c1', 'x')).toBe(true);
    expect(trie.size).toBe(3);
    expect([...trie.match('a/b')].sort()).toEqual(['v2', 'w', 'x']);
    expect(trie.remove('a/+', 'c1')).toBe(true);
    expect(trie.remove('a/+', 'c1')).toBe(false);
    expect(trie.remove('nope/x', 'c1')).toBe(false);
    expect(trie.size).toBe(2);
    expect([...trie.match('a/b')].sort()).toEqual(['w', 'x']);
  });
});

describe('SubscriptionTrie: property against the naive matcher', () => {
  const level = fc.constantFrom('a', 'b', '', '$s');
  const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('/'));
  const filter = fc
    .tuple(fc.array(fc.constantFrom('a', 'b', '', '$s', '+'), { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([ls, hash]) => (hash ? [...ls.slice(0, -1), '#'] : ls).join('/'));
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), filter, key: fc.constantFrom('k1', 'k2', 'k3') }),
    fc.record({ kind: fc.constant('remove' as const), filter, key: fc.constantFrom('k1', 'k2', 'k3') }),
    fc.record({ kind: fc.constant('match' as const), topic }),
  );

  it('agrees after any sequence of adds, removes and matches', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(topic, { maxLength: 10 }), (ops, probes) => {
        const trie = new SubscriptionTrie<string>();
        const model = new Map<string, string>(); // "filter\nkey" -> value
        let serial = 0;
        const check = (t: string) => {
          const expected = [...model]
            .filter(([fk]) => naiveMatches(fk.split('\n')[0]!, t))
            .map(([, v]) => v)
            .sort();
          expect([...trie.match(t)].sort()).toEqual(expected);
        };
        for (const o of ops) {
          if (o.kind === 'match') check(o.topic);
          else if (o.kind === 'add') {
            const id = `${o.filter}\n${o.key}`;
            const value = `${id}#${serial++}`;
            expect(trie.add(o.filter, o.key, value)).toBe(!model.has(id));
            model.set(id, value);
          } else {
            const id = `${o.filter}\n${o.key}`;
            expect(trie.remove(o.filter, o.key)).toBe(model.delete(id));
          }
          expect(trie.size).toBe(model.size);
        }
        for (const t of probes) check(t);
      }),
      { numRuns: 300 },
    );
  });
});
