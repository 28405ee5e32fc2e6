/**
 * End-to-end latency as an HDR histogram: constant memory and three significant digits whatever
 * the message count, so recording a million deliveries costs nothing noticeable in the hot loop.
 * Values are recorded in microseconds; the summary speaks milliseconds.
 */
import * as hdr from 'hdr-histogram-js';

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

export class LatencyHistogram {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });

  /** Records one latency; negative values (clock skew between processes) count as zero. */
  recordMs(ms: number): void {
    const us = Math.round(ms * 1000);
    this.histogram.recordValue(Math.min(Math.max(us, 1), HIGHEST_US));
  }

  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const ms = (us: number) => us / 1000;
    // A percentile is the top of its bucket, which can lie above the largest value recorded.
    const at = (percentile: number) => ms(Math.min(h.getValueAtPercentile(percentile), h.maxValue));
    return {
      count: h.totalCount,
      mean: ms(h.totalCount === 0 ? 0 : h.mean),
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: ms(h.maxValue),
    };
  }
}
