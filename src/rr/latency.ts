/**
 * Round-trip figures for `mqx rr --latency -c N`. A run is at most some thousands of requests, so
 * the samples are kept and sorted: exact percentiles, no histogram needed.
 */
export interface RoundTrips {
  count: number;
  /** Milliseconds. */
  min: number;
  median: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of sorted samples: the smallest value with at least p% at or below it. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(samples: number[]): RoundTrips | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    min: sorted[0]!,
    median: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

const ms = (n: number) => `${n.toFixed(3)} ms`;

export function formatRoundTrips(r: RoundTrips): string {
  return `${r.count} round trips: min ${ms(r.min)}, median ${ms(r.median)}, p99 ${ms(r.p99)}, max ${ms(r.max)}`;
}
