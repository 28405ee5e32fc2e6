import { describe, expect, it } from 'vitest';
import {
  compileSearch,
  HISTORY,
  HISTORY_BYTES,
  LAST_BYTES,
  SPARK,
  TopicTree,
} from '../../src/explore/model.js';

const msg = (topic: string, payload: string | Buffer, retain = false) => ({
  topic,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  qos: 0 as const,
  retain,
});

const paths = (tree: TopicTree) => tree.rows().map((r) => r.node.path);

describe('TopicTree', () => {
  it('inserts one node per level and counts messages on the topic and in its subtree', () => {
    const tree = new TopicTree();
    tree.insert(msg('a/b/c', '1'), 0);
    tree.insert(msg('a/b/c', '2'), 1);
    tree.insert(msg('a/b', 'x'), 2);
    tree.insert(msg('a/d', 'y'), 3);
    expect(tree.topics).toBe(3);
    expect(tree.messages).toBe(4);
    const a = tree.find('a')!;
    expect([a.count, a.total]).toEqual([0, 4]);
    expect([tree.find('a/b')!.count, tree.find('a/b')!.total]).toEqual([1, 3]);
    expect(tree.find('a/b/c')!.last!.payload.toString()).toBe('2');
    expect(tree.find('a/x')).toBeUndefined();
  });

  it('keeps empty levels and shows only expanded subtrees, children in order', () => {
    const tree = new TopicTree();
    for (const t of ['z/1', 'a/2', '/lead', 'a/1']) tree.insert(msg(t, 'v'), 0);
    expect(paths(tree)).toEqual(['', 'a', 'z']);
    tree.setExpanded(tree.find('a')!, true);
    expect(paths(tree)).toEqual(['', 'a', 'a/1', 'a/2', 'z']);
    expect(tree.find('/lead')!.depth).toBe(1);
  });

  it('tracks retained messages: set by the retain flag, cleared by an empty payload', () => {
    const tree = new TopicTree();
    tree.insert(msg('r/1', 'on', true), 1000);
    tree.insert(msg('r/2', 'on', true), 1000);
    tree.insert(msg('r/3', 'live'), 1000);
    const r1 = tree.find('r/1')!;
    expect([r1.retained, r1.retainedAt, r1.retainedExact]).toEqual([true, 1000, false]);
    tree.insert(msg('r/1', 'again', true), 5000, true);
    expect([r1.retainedAt, r1.retainedExact]).toEqual([5000, true]);
    // A live message without the flag (3.1.1 drops it for existing subscriptions) changes nothing.
    tree.insert(msg('r/1', 'live'), 6000);
    expect(r1.retained).toBe(true);
    tree.insert(msg('r/1', ''), 7000);
    expect(r1.retained).toBe(false);
    expect(tree.retainedUnder(tree.find('r')!).map((n) => n.path)).toEqual(['r/2']);
    tree.clearedRetained('r/2');
    expect(tree.retainedUnder(tree.root)).toEqual([]);
  });

  it('bounds history, payload copies and sparkline values per topic', () => {
    const tree = new TopicTree();
    const big = Buffer.alloc(LAST_BYTES * 2, 0x61);
    for (let i = 0; i < HISTORY + 5; i++) tree.insert(msg('t', big), i);
    for (let i = 0; i < SPARK + 5; i++) tree.insert(msg('t', String(i)), 100 + i);
    const node = tree.find('t')!;
    expect(node.history).toHaveLength(HISTORY);
    expect(node.values).toHaveLength(SPARK);
    expect(node.values.at(-1)).toBe(SPARK + 4);
    for (let i = 0; i < HISTORY + 5; i++) tree.insert(msg('t', big), 200 + i);
    expect(node.last!.payload.length).toBe(LAST_BYTES);
    expect(node.last!.size).toBe(LAST_BYTES * 2);
    expect(node.history.every((m) => m.payload.length <= HISTORY_BYTES)).toBe(true);
  });

  it('bounds decoded text like payloads: the last up to LAST_BYTES, the history to HISTORY_BYTES', () => {
    const tree = new TopicTree();
    const text = 'x'.repeat(LAST_BYTES * 2);
    const decoded = { format: 'cbor', text, line: text, warning: 'w' };
    for (let i = 0; i < 3; i++) tree.insert({ ...msg('t', 'small'), decoded }, i);
    const node = tree.find('t')!;
    expect(node.last!.decoded).toEqual({
      format: 'cbor',
      text: text.slice(0, LAST_BYTES),
      line: text.slice(0, LAST_BYTES),
      warning: 'w',
    });
    for (const m of node.history) {
      expect(m.decoded!.text).toHaveLength(HISTORY_BYTES);
      expect(m.decoded!.line).toHaveLength(HISTORY_BYTES);
      expect(m.decoded!.warning).toBe('w');
    }
    tree.insert({ ...msg('u', 'p'), decoded: { format: 'cbor', text: 'short' } }, 0);
    expect(tree.find('u')!.last!.decoded).toEqual({ format: 'cbor', text: 'short' });
  });

  it('copies payloads instead of keeping views into the buffer they arrived in', () => {
    const tree = new TopicTree();
    // Like a socket read: a buffer of its own, many packets long.
    const chunk = Buffer.alloc(64 * 1024);
    chunk.write('header-21.5-trailer');
    tree.insert(msg('t', chunk.subarray(7, 11)), 0);
    chunk.fill(0);
    expect(tree.find('t')!.last!.payload.toString()).toBe('21.5');
    expect(tree.find('t')!.last!.payload.buffer).not.toBe(chunk.buffer);
  });

  it('rates decay: live messages count, retained replays do not', () => {
    const tree = new TopicTree();
    for (let i = 0; i < 100; i++) tree.insert(msg('live', 'x'), i * 100);
    const rate = tree.find('live')!.rate(10_000);
    expect(rate).toBeGreaterThan(5);
    expect(rate).toBeLessThan(11);
    expect(tree.find('live')!.rate(60_000)).toBeLessThan(0.01);
    tree.insert(msg('kept', 'x', true), 0);
    expect(tree.find('kept')!.rate(0)).toBe(0);
  });
});

describe('search', () => {
  const topics = ['home/kitchen/temp', 'home/garage/door', 'office/temp', 'home/kitchen/light'];
  const build = () => {
    const tree = new TopicTree();
    for (const t of topics) tree.insert(msg(t, '1'), 0);
    return tree;
  };

  it('an MQTT filter narrows the rows to the matches and the path to them, opened', () => {
    const tree = build();
    tree.setSearch(compileSearch('home/+/temp'));
    expect(paths(tree)).toEqual(['home', 'home/kitchen', 'home/kitchen/temp']);
    expect(
      tree
        .rows()
        .filter((r) => r.node.match)
        .map((r) => r.node.path),
    ).toEqual(['home/kitchen/temp']);
  });

  it('anything else is a case-insensitive regular expression (or a literal when it is not one)', () => {
    const tree = build();
    tree.setSearch(compileSearch('TEMP$'));
    expect(paths(tree).filter((p) => tree.find(p)!.match)).toEqual(['home/kitchen/temp', 'office/temp']);
    tree.setSearch(compileSearch('kitchen/('));
    expect(paths(tree)).toEqual([]);
    tree.setSearch(compileSearch('a+'));
    expect(paths(tree)).toContain('home/garage');
  });

  it('new topics that match join the search; ending it restores the tree', () => {
    const tree = build();
    tree.setSearch(compileSearch('office/#'));
    tree.insert(msg('office/hall/light', '1'), 1);
    tree.insert(msg('home/x', '1'), 1);
    expect(paths(tree)).toEqual(['office', 'office/hall', 'office/hall/light', 'office/temp']);
    tree.setSearch(undefined);
    expect(paths(tree)).toEqual(['home', 'office']);
  });
});
