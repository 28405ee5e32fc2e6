/** Counters behind $SYS; plain fields so the hot path pays one increment each. */
export class BrokerStats {
  readonly startedAt = Date.now();
  bytesReceived = 0;
  bytesSent = 0;
  messagesReceived = 0;
  messagesSent = 0;
  publishReceived = 0;
  publishSent = 0;
  publishBytesReceived = 0;
  publishBytesSent = 0;
  /** Messages dropped: queue limits, congested QoS 0 readers, oversize for the client. */
  dropped = 0;
  connectionsTotal = 0;
  maximumConnected = 0;
  expiredSessions = 0;
  protocolErrors = 0;
  /** PUBLISH packets by QoS (index 0..2), for the admin module's metrics. */
  readonly publishReceivedByQos = [0, 0, 0];
  readonly publishSentByQos = [0, 0, 0];
  /** Messages not delivered, by why; the first four are what `dropped` counts, split up. */
  readonly droppedBy = { queueFull: 0, congested: 0, tooLarge: 0, cluster: 0, notAuthorized: 0, expired: 0 };
}

/** Upper bounds (seconds) of the store commit histogram's buckets. */
export const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;

/** Durations of store commits, kept as a Prometheus histogram is: counts per bucket, sum, count. */
export class CommitHistogram {
  readonly buckets = COMMIT_BUCKETS.map(() => 0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    const i = COMMIT_BUCKETS.findIndex((bound) => seconds <= bound);
    if (i >= 0) this.buckets[i]!++;
  }
}

/** Exponentially decaying averages as mosquitto's load/ figures (per minute, over 1, 5, 15 min). */
export class LoadAverage {
  private readonly values = [0, 0, 0];
  private last = 0;

  constructor(private readonly interval: number) {}

  /** Feeds the counter's current total; call every `interval` seconds. */
  update(total: number): void {
    const delta = total - this.last;
    this.last = total;
    const perMinute = (delta * 60) / this.interval;
    const windows = [60, 300, 900];
    for (let i = 0; i < 3; i++) {
      const k = Math.exp(-this.interval / windows[i]!);
      this.values[i] = this.values[i]! * k + perMinute * (1 - k);
    }
  }

  get(i: 0 | 1 | 2): number {
    return this.values[i]!;
  }
}
