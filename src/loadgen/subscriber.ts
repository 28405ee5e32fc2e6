/**
 * The receiving side of one connection: counts deliveries, checks each publisher's sequence and,
 * when asked, records end-to-end latency from the send time in the payload.
 */
import type { BenchConnection } from './connection.js';
import type { LatencyHistogram } from './histogram.js';
import { type PayloadStamp, readStamp } from './payload.js';
import { SequenceChecker } from './sequence.js';

export class Subscriber {
  received = 0;
  /** Deliveries whose payload carried no bench stamp (another publisher on the same topics). */
  foreign = 0;
  firstAt = 0;
  lastAt = 0;
  lostReason: string | undefined;
  /** Latency is recorded only for messages sent (or due) from this time on: what comes before is warm-up. */
  recordFrom = -Infinity;
  readonly checker = new SequenceChecker();
  /** Filled by readStamp for each delivery in turn. */
  private readonly stamp: PayloadStamp = { publisher: 0, seq: 0, sentAt: 0 };

  constructor(
    readonly conn: BenchConnection,
    /** The filter this subscriber holds, to work out which publishers it should hear. */
    readonly filter: string,
    private readonly latency: LatencyHistogram | undefined,
    /** Run when the count first reaches `limit`. */
    private readonly limit = Infinity,
    private readonly onLimit: () => void = () => undefined,
  ) {
    conn.handlers = {
      publish: (packet, now) => {
        if (this.received === 0) this.firstAt = now;
        this.lastAt = now;
        this.received++;
        const stamp = readStamp(packet.payload, this.stamp);
        if (stamp === undefined) this.foreign++;
        else {
          this.checker.record(stamp.publisher, stamp.seq);
          if (stamp.sentAt >= this.recordFrom) this.latency?.recordMs(now - stamp.sentAt);
        }
        if (this.received === this.limit) this.onLimit();
      },
      complete() {},
      turn() {},
      lost: (reason) => {
        this.lostReason ??= reason;
      },
    };
  }
}
