import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { RetainedStore } from '../../src/broker/retained.js';
import { naiveMatches } from '../helpers/topic-oracle.js';

function message(topic: string, payload = 'x'): Message {
  return new Message(topic, Buffer.from(payload), 0, true, undefined, 0, 'c', false);
}

function matched(store: RetainedStore, filter: string): string[] {
  const topics: string[] = [];
  store.match(filter, (m) => topics.push(m.topic));
  return topics;
}

/**
 * The order a store of topic levels keeps, written plainly: each level's children in the order
 * they were first made, each topic before the topics below it.
 */
function preorder(topics: Iterable<string>): string[] {
  interface Level {
    children: Map<string, Level>;
    topic: string | undefined;
  }
  const root: Level = { children: new Map(), topic: undefined };
  for (const topic of topics) {
    let node = root;
    for (const name of topic.split('/')) {
      let next = node.children.get(name);
      if (next === undefined) {
        next = { children: new Map(), topic: undefined };
        node.children.set(name, next);
      }
      node = next;
    }
    node.topic = topic;
  }
  const out: string[] = [];
  const visit = (node: Level) => {
    if (node.topic !== undefined) out.push(node.topic);
    for (const child of node.children.values()) visit(child);
  };
  visit(root);
  return out;
}

const level = fc.constantFrom('a', 'b', '$s', '');
const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
const filter = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', '$s', '', '+'), { maxLength: 3 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f.length > 0);

describe('RetainedStore', () => {
  it('gives a filter exactly the topics it matches, in the store order, after any sets and clears', () => {
    fc.assert(
      fc.property(
        fc.array(topic, { maxLength: 40 }),
        fc.array(topic, { maxLength: 20 }),
        fc.array(filter, { minLength: 1, maxLength: 8 }),
        (sets, clears, filters) => {
          const store = new RetainedStore();
          for (const t of sets) store.set(message(t));
          // Clears come last: a branch a clear prunes is not made again, so the order stays.
          for (const t of clears) store.set(message(t, ''));
          const kept = new Set(sets.filter((t) => !clears.includes(t)));
          expect(store.size).toBe(kept.size);
          const order = preorder(sets).filter((t) => kept.has(t));
          for (const f of filters) expect(matched(store, f)).toEqual(order.filter((t) => naiveMatches(f, t)));
        },
      ),
    );
  });

  it('gives `#` every topic but the $ ones, each level in the order it came, parents first', () => {
    const store = new RetainedStore();
    for (const t of ['b/2', 'a', '$SYS/x', 'b/1', 'a/z', 'b', 'c/d/e', 'a/y']) store.set(message(t));
    expect(matched(store, '#')).toEqual(['b', 'b/2', 'b/1', 'a', 'a/z', 'a/y', 'c/d/e']);
    expect(matched(store, 'a/#')).toEqual(['a', 'a/z', 'a/y']);
    expect(matched(store, '$SYS/#')).toEqual(['$SYS/x']);
    expect(matched(store, '+/+')).toEqual(['b/2', 'b/1', 'a/z', 'a/y']);
  });
});
