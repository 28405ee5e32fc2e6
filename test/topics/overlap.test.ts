import { describe, expect, it } from 'vitest';
import { filterCovers, filtersOverlap } from '../../src/topics/overlap.js';
import { naiveMatches } from '../helpers/topic-oracle.js';

/*
 * Checked exhaustively against the matching oracle: every pair of filters of up to three levels
 * over a small alphabet, with every topic of up to four levels over that alphabet plus one
 * level no filter names, which is enough to witness any overlap or any topic left uncovered.
 */

const FILTER_LEVELS = ['a', 'b', '$s', '+', '#'];
const TOPIC_LEVELS = ['a', 'b', '$s', 'x'];

function combinations(levels: string[], depth: number): string[][] {
  if (depth === 0) return [[]];
  return combinations(levels, depth - 1).flatMap((prefix) => levels.map((l) => [...prefix, l]));
}

const filters = [1, 2, 3]
  .flatMap((d) => combinations(FILTER_LEVELS, d))
  .filter((levels) => levels.every((l, i) => l !== '#' || i === levels.length - 1))
  .map((levels) => levels.join('/'));
const topics = [1, 2, 3, 4].flatMap((d) => combinations(TOPIC_LEVELS, d)).map((levels) => levels.join('/'));

const matchedBy = new Map(filters.map((f) => [f, topics.filter((t) => naiveMatches(f, t))]));

describe('topic filter overlap and cover', () => {
  it(`filtersOverlap: some topic matches both (${filters.length}² pairs, MQTT 4.7)`, () => {
    const wrong: string[] = [];
    for (const a of filters) {
      const under = matchedBy.get(a)!;
      for (const b of filters) {
        const expected = under.some((t) => naiveMatches(b, t));
        if (filtersOverlap(a.split('/'), b.split('/')) !== expected) wrong.push(`${a} ∩ ${b}: ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('filterCovers: every topic the inner filter matches, the outer matches too', () => {
    const wrong: string[] = [];
    for (const outer of filters) {
      for (const inner of filters) {
        const expected = matchedBy.get(inner)!.every((t) => naiveMatches(outer, t));
        if (filterCovers(outer.split('/'), inner.split('/')) !== expected)
          wrong.push(`${outer} ⊇ ${inner}: ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('[MQTT-4.7.2-1] a first-level wildcard neither overlaps nor covers a $ topic filter', () => {
    expect(filtersOverlap(['#'], ['$SYS', '#'])).toBe(false);
    expect(filtersOverlap(['+', 'x'], ['$SYS', 'x'])).toBe(false);
    expect(filterCovers(['#'], ['$SYS', 'broker'])).toBe(false);
    expect(filterCovers(['$SYS', '#'], ['$SYS', '+'])).toBe(true);
  });
});
