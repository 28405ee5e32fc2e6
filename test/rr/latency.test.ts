import { describe, expect, it } from 'vitest';
import { formatRoundTrips, summarize } from '../../src/rr/latency.js';

describe('round-trip summary', () => {
  it('gives exact nearest-rank percentiles', () => {
    const samples = Array.from({ length: 200 }, (_, i) => 200 - i); // 200..1, unsorted input
    expect(summarize(samples)).toEqual({ count: 200, min: 1, median: 100, p99: 198, max: 200 });
    expect(summarize([5])).toEqual({ count: 1, min: 5, median: 5, p99: 5, max: 5 });
    expect(summarize([])).toBeUndefined();
  });

  it('prints milliseconds', () => {
    expect(formatRoundTrips({ count: 3, min: 0.5, median: 1, p99: 2.25, max: 2.25 })).toBe(
      '3 round trips: min 0.500 ms, median 1.000 ms, p99 2.250 ms, max 2.250 ms',
    );
  });
});
