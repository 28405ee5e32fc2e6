/**
 * End-to-end latency as a log-linear histogram (the layout of HDR histograms): every power of two
 * split into 1,024 buckets, so a value is kept to within 1/1,024 (finer than three significant
 * digits) in constant memory whatever the message count. Recording is an index computation and an
 * increment: hdr-histogram-js took 150 ns per value, a sixth of the load generator's time when its
 * subscribers received a million messages a second. Values are recorded in microseconds; the
 * summary speaks milliseconds.
 */

export interface LatencySummary {
  count: number;
  /** Milliseconds. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One hour: anything slower is a stall worth seeing as "max", not a reason to throw. */
const HIGHEST_US = 3_600_000_000;
/** Values below 2^SUB_BITS have a bucket each; above, each power of two has 2^(SUB_BITS-1). */
const SUB_BITS = 11;
const HALF = 1 << (SUB_BITS - 1);

function bucketOf(us: number): number {
  if (us < 2 * HALF) return us;
  const shift = 31 - Math.clz32(us) - SUB_BITS + 1;
  return (shift << (SUB_BITS - 1)) + (us >>> shift);
}

/** The largest value that falls in `bucket`. */
function topOf(bucket: number): number {
  if (bucket < 2 * HALF) return bucket;
  const shift = (bucket >>> (SUB_BITS - 1)) - 1;
  const mantissa = bucket - (shift << (SUB_BITS - 1));
  return mantissa * 2 ** shift + 2 ** shift - 1;
}

const BUCKETS = bucketOf(HIGHEST_US) + 1;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private highest = 0;

  /** Records one latency; negative values (clock skew between processes) count as the smallest. */
  recordMs(ms: number): void {
    const us = Math.min(Math.max(Math.round(ms * 1000), 1), HIGHEST_US);
    this.counts[bucketOf(us)]!++;
    this.total++;
    this.sum += us;
    if (us > this.highest) this.highest = us;
  }

  get count(): number {
    return this.total;
  }

  summary(): LatencySummary {
    const ms = (us: number) => us / 1000;
    return {
      count: this.total,
      mean: ms(this.total === 0 ? 0 : this.sum / this.total),
      p50: ms(this.valueAt(50)),
      p90: ms(this.valueAt(90)),
      p99: ms(this.valueAt(99)),
      p999: ms(this.valueAt(99.9)),
      max: ms(this.highest),
    };
  }

  /**
   * The top of the bucket that holds the value of that rank, as HDR histograms report it, but never
   * above the largest value recorded (a bucket's top can lie above it).
   */
  private valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(topOf(i), this.highest);
    }
    return this.highest;
  }
}
