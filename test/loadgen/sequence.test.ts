import { describe, expect, it } from 'vitest';
import { SequenceChecker } from '../../src/loadgen/sequence.js';

function feed(seqs: Array<[number, number]>): SequenceChecker {
  const c = new SequenceChecker();
  for (const [p, s] of seqs) c.record(p, s);
  return c;
}

describe('SequenceChecker', () => {
  it('accepts every message once, in order, per publisher (publishers may interleave)', () => {
    const c = feed([
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 2],
    ]);
    expect(
      c.report(
        new Map([
          [0, 3],
          [1, 2],
        ]),
      ),
    ).toEqual({ received: 5, unique: 5, lost: 0, duplicates: 0, reordered: 0 });
  });

  it('detects a duplicate', () => {
    const c = new SequenceChecker();
    expect(c.record(0, 0)).toBe('ok');
    expect(c.record(0, 1)).toBe('ok');
    expect(c.record(0, 1)).toBe('duplicate');
    expect(c.report(new Map([[0, 2]]))).toMatchObject({ received: 3, unique: 2, duplicates: 1, lost: 0 });
  });

  it('detects reordering: a number arriving after a higher one', () => {
    const c = new SequenceChecker();
    c.record(0, 0);
    c.record(0, 2);
    expect(c.record(0, 1)).toBe('reordered');
    expect(c.report(new Map([[0, 3]]))).toMatchObject({ reordered: 1, lost: 0, duplicates: 0 });
  });

  it('counts losses against what was sent, including the tail and silent publishers', () => {
    const c = feed([
      [0, 0],
      [0, 2],
    ]);
    // Publisher 0 sent 5 (1, 3, 4 missing); publisher 1 sent 2 and none arrived.
    expect(
      c.report(
        new Map([
          [0, 5],
          [1, 2],
        ]),
      ).lost,
    ).toBe(5);
  });

  it('without expected counts, reports the gaps below the highest number seen', () => {
    const c = feed([
      [7, 0],
      [7, 3],
    ]);
    expect(c.report().lost).toBe(2);
  });

  it('does not count a duplicate of a late message as reordering too', () => {
    const c = feed([
      [0, 1],
      [0, 0],
      [0, 0],
    ]);
    expect(c.report(new Map([[0, 2]]))).toMatchObject({ reordered: 1, duplicates: 1, lost: 0 });
  });

  it('handles sequence numbers far beyond its first bitmap', () => {
    const c = new SequenceChecker();
    for (let i = 0; i < 100_000; i++) c.record(3, i);
    expect(c.report(new Map([[3, 100_000]]))).toMatchObject({ unique: 100_000, lost: 0 });
  });
});
