import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/loadgen/histogram.js';

describe('LatencyHistogram', () => {
  it('gives percentiles of recorded latencies within three significant digits', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.recordMs(i);
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(500, -1);
    expect(s.p90).toBeCloseTo(900, -1);
    expect(s.p99).toBeCloseTo(990, -1);
    expect(s.p999).toBeCloseTo(999, -1);
    expect(s.max).toBeCloseTo(1000, -1);
    expect(s.mean).toBeCloseTo(500.5, 0);
  });

  it('never reports a percentile above the largest latency recorded', () => {
    const h = new LatencyHistogram();
    // 38.605 ms lies inside a bucket whose top is higher: p99.9 used to say 38.623.
    for (let i = 0; i < 10; i++) h.recordMs(1);
    h.recordMs(38.605);
    const s = h.summary();
    expect(s.max).toBeCloseTo(38.605, 2);
    for (const p of [s.p50, s.p90, s.p99, s.p999]) expect(p).toBeLessThanOrEqual(s.max);
  });

  it('keeps sub-millisecond resolution (values are microseconds inside)', () => {
    const h = new LatencyHistogram();
    h.recordMs(0.25);
    expect(h.summary().p50).toBeCloseTo(0.25, 3);
  });

  it('counts negative values (clock skew) as the smallest latency instead of throwing', () => {
    const h = new LatencyHistogram();
    h.recordMs(-3);
    expect(h.summary().max).toBeLessThanOrEqual(0.001);
  });

  it('keeps every value to within 1/1,024 from one microsecond to an hour', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 500; i++) {
      const us = Math.max(1, Math.round(3_600_000_000 ** random()));
      const h = new LatencyHistogram();
      // The median is then the top of the bucket that holds `us`, not the largest value.
      h.recordMs(us / 1000);
      h.recordMs(us / 1000);
      h.recordMs(3_600_000);
      const p50 = h.summary().p50 * 1000;
      expect(p50).toBeGreaterThanOrEqual(us - 1e-6);
      expect(p50).toBeLessThanOrEqual(us * (1 + 1 / 1024) + 1e-6);
    }
  });

  it('agrees with the exact percentiles of a skewed sample', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const us = Math.round(20 + (50_000 * ((i * 7919) % 100_000) ** 4) / 1e20);
      values.push(us);
      h.recordMs(us / 1000);
    }
    values.sort((a, b) => a - b);
    const exact = (p: number) => values[Math.ceil((p / 100) * values.length) - 1]!;
    const s = h.summary();
    for (const [p, got] of [
      [50, s.p50],
      [90, s.p90],
      [99, s.p99],
      [99.9, s.p999],
    ] as const) {
      expect(got * 1000).toBeGreaterThanOrEqual(exact(p));
      expect(got * 1000).toBeLessThanOrEqual(exact(p) * (1 + 1 / 1024) + 1e-6);
    }
    expect(s.max * 1000).toBe(values.at(-1));
    expect(s.mean * 1000).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
  });

  it('summarises an empty histogram as zeros', () => {
    expect(new LatencyHistogram().summary()).toMatchObject({ count: 0, mean: 0, p99: 0 });
  });
});
