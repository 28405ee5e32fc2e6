/**
 * Keep alive from the client's side (MQTT 3.1.2.10): a PINGREQ once a period passed with nothing
 * sent, and a connection declared dead when the broker does not answer within half a period (at
 * least 1 s). Any packet from the broker counts as the answer.
 */
export class Keepalive {
  private periodMs = 0;
  private lastSent = 0;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;

  /** `ping` sends PINGREQ, or returns false when there is no connection to ping on. */
  constructor(
    private readonly ping: () => boolean,
    private readonly dead: () => void,
  ) {}

  start(periodMs: number): void {
    this.periodMs = periodMs;
    this.schedule();
  }

  /** Something was written: the period restarts. */
  sent(): void {
    this.lastSent = Date.now();
  }

  /** Something arrived: the broker is alive. */
  heard(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    this.timer = undefined;
    this.deadline = undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.periodMs <= 0) return;
    const wait = Math.max(0, this.lastSent + this.periodMs - Date.now());
    this.timer = setTimeout(() => {
      if (Date.now() - this.lastSent >= this.periodMs - 10) {
        if (!this.ping()) return;
        this.deadline ??= setTimeout(this.dead, Math.max(1000, this.periodMs / 2));
      }
      this.schedule();
    }, wait);
    this.timer.unref();
  }
}
