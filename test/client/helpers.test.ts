import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/client/backoff.js';
import { topicMatches } from '../../src/client/match.js';
import { PacketIds } from '../../src/client/packet-ids.js';

describe('PacketIds', () => {
  it('hands out 1..65535, skips ids in use and wraps', () => {
    const ids = new PacketIds();
    expect(ids.take()).toBe(1);
    expect(ids.take()).toBe(2);
    ids.release(1);
    for (let i = 3; i <= 0xffff; i++) expect(ids.take()).toBe(i);
    expect(ids.take()).toBe(1); // wrapped; 2 is still in use
    expect(ids.take()).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles from the minimum up to the maximum, with bounded jitter', () => {
    const fixed = { minMs: 100, maxMs: 1000, random: () => 0.5 };
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, fixed))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(0, { ...fixed, random: () => 0 })).toBe(80);
    expect(backoffDelay(0, { ...fixed, random: () => 0.999 })).toBeLessThanOrEqual(120);
  });
});

describe('topicMatches', () => {
  it.each([
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['+/+', '/x', true],
    ['#', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
  ])('%s vs %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('PacketIds with reserved ids and claims', () => {
  it('take() skips reserved and claimed ids; claim() refuses an id in use', () => {
    const ids = new PacketIds((id) => id === 1);
    expect(ids.claim(2)).toBe(true);
    expect(ids.claim(2)).toBe(false);
    expect(ids.take()).toBe(3);
    ids.release(2);
    expect(ids.has(2)).toBe(false);
    expect(ids.has(3)).toBe(true);
  });
});
