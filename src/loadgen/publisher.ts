/**
 * Drives one publishing connection as fast as allowed: by the QoS 1/2 window, by the rate, by the
 * limit and by socket backpressure. Each pump builds one Buffer holding a batch of PUBLISH packets
 * copied from the template and patched (packet id, sequence number, send time), so a batch costs
 * one write however many messages it holds.
 *
 * At a fixed rate, message k is due at start + k / rate and carries that time, not the moment it
 * left: a sender held back by a late timer, a full window or a full socket would otherwise stamp
 * its backlog late and hide the very delay it is there to measure (coordinated omission).
 */
import { nowMs } from './clock.js';
import type { BenchConnection } from './connection.js';
import type { PublishTemplate } from './packets.js';

export interface PublisherOptions {
  /** Goes into every payload; subscribers check sequences per publisher id. */
  publisherId: number;
  qos: 0 | 1 | 2;
  /** Messages to send; Infinity until stopped. */
  limit: number;
  /** Messages per second; undefined for as fast as possible. */
  rate?: number;
  /** Unacknowledged QoS 1/2 messages allowed at once. */
  inflight: number;
  /** Most messages in one write. */
  batch: number;
  /**
   * At a fixed rate, wake on every turn of the event loop instead of on the 1 ms timer, so that a
   * message leaves within microseconds of its due time rather than up to a millisecond after it.
   * It keeps a core busy: for measuring latency, not for a load left running.
   */
  precise?: boolean;
  /**
   * At QoS 0, count the messages done when the broker answers a PINGREQ sent after the last one,
   * that is once it has read them all, instead of once they are handed to the OS: a fast reader
   * otherwise looks as fast as the socket buffers are deep.
   */
  confirmQos0?: boolean;
}

/** When rate-limited, the pump wakes this often (ms); the messages due since the last wake go together. */
const RATE_TICK_MS = 1;

export class Publisher {
  sent = 0;
  completed = 0;
  failed = 0;
  firstSentAt = 0;
  lastCompletedAt = 0;
  lostReason: string | undefined;
  private inflight = 0;
  private nextId = 1;
  private readonly slots = new Uint8Array(0x10000);
  private readonly window: number;
  private stopped = false;
  private waitingDrain = false;
  private scheduled = false;
  private ticker: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private startedAt = 0;
  private finish: () => void = () => undefined;
  /** Resolves when every message is sent and, at QoS 1/2, acknowledged, or after stop(). */
  readonly done: Promise<void>;

  constructor(
    private readonly conn: BenchConnection,
    private readonly template: PublishTemplate,
    private readonly options: PublisherOptions,
  ) {
    this.window = Math.max(1, Math.min(options.inflight, conn.receiveMaximum, 0xffff));
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
    conn.handlers = {
      publish() {},
      complete: (id, failed) => this.onComplete(id, failed),
      turn: () => this.pump(),
      lost: (reason) => {
        this.lostReason ??= reason;
        this.stop();
      },
    };
  }

  start(): void {
    this.startedAt = nowMs();
    if (this.options.rate === undefined) this.pump();
    else if (this.options.precise) this.spin();
    else {
      this.ticker = setInterval(() => this.pump(), RATE_TICK_MS);
      this.pump();
    }
  }

  /** Sends nothing more; `done` resolves once what is in flight is acknowledged (or at once at QoS 0). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    clearImmediate(this.immediate);
    this.checkDone();
  }

  /** Gives up on what is in flight, e.g. when the run's drain time is over. */
  abandon(): void {
    this.stop();
    this.finish();
  }

  get publisherId(): number {
    return this.options.publisherId;
  }

  get unacknowledged(): number {
    return this.inflight;
  }

  private readonly spin = (): void => {
    this.pump();
    if (!this.stopped) this.immediate = setImmediate(this.spin);
  };

  private pump(): void {
    this.scheduled = false;
    if (this.stopped || this.waitingDrain || this.conn.closed) return;
    const { qos, limit, rate, batch } = this.options;
    let n = Math.min(batch, limit - this.sent);
    if (qos > 0) n = Math.min(n, this.window - this.inflight);
    const now = nowMs();
    if (rate !== undefined)
      n = Math.min(n, Math.floor((rate * (now - this.startedAt)) / 1000) + 1 - this.sent);
    if (n <= 0) {
      if (this.sent >= limit) this.stop();
      return;
    }
    if (this.sent === 0) this.firstSentAt = now;
    const size = this.template.length;
    const buf = Buffer.allocUnsafe(n * size);
    for (let i = 0; i < n; i++) {
      const seq = this.sent++;
      this.template.writeInto(
        buf,
        i * size,
        qos > 0 ? this.takeId() : 0,
        this.options.publisherId,
        seq,
        rate === undefined ? now : this.startedAt + (seq * 1000) / rate,
      );
    }
    const ok = this.conn.write(buf);
    if (this.sent >= limit) {
      this.stop();
      return;
    }
    if (!ok) {
      this.waitingDrain = true;
      // At QoS 0, not straight from the drain: while the OS takes every write at once, drain
      // follows write in the same turn, and publishers with no window to fill never let this
      // process read what its subscribers receive (measured: in fan-in QoS 0 the publishers wrote
      // 57 MB while their subscriber read 4 KB). At QoS 1/2 the window stops them, and
      // acknowledgements pump again.
      this.conn.drained().then(() => {
        this.waitingDrain = false;
        if (qos === 0) this.pumpLater();
        else this.pump();
      });
      return;
    }
    // Acks (QoS 1/2) and the ticker (rate) pump again; a free-running QoS 0 publisher yields to I/O first.
    if (qos === 0 && rate === undefined) this.pumpLater();
  }

  private pumpLater(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  private takeId(): number {
    let id = this.nextId;
    while (this.slots[id] !== 0) id = id === 0xffff ? 1 : id + 1;
    this.slots[id] = 1;
    this.nextId = id === 0xffff ? 1 : id + 1;
    this.inflight++;
    return id;
  }

  private onComplete(id: number, failed: boolean): void {
    if (this.slots[id] === 0) return;
    this.slots[id] = 0;
    this.inflight--;
    this.completed++;
    if (failed) this.failed++;
    this.lastCompletedAt = nowMs();
    this.checkDone();
  }

  private checkDone(): void {
    if (!this.stopped) return;
    if (this.options.qos === 0) {
      const taken = this.options.confirmQos0 ? this.conn.roundTrip() : this.conn.flushed();
      taken.then(() => {
        this.lastCompletedAt = nowMs();
        this.finish();
      });
    } else if (this.inflight === 0) {
      this.finish();
    }
  }
}
