import type { Session } from './session.js';

/**
 * Something that feeds messages into the broker and can be told to stop for a while: a client
 * connection (it parks its PUBLISHes), an in-broker bridge's remote link (its socket stops being
 * read), the cluster's stream reader (it stops reading Redis).
 */
export interface FlowSource {
  /** Congested sessions this source waits for. Kept by FlowControl only. */
  flowBlockers: number;
  /** Called when the first congested session starts waiting on it. */
  pauseFeeding(): void;
  /** Called on a later turn once no congested session waits on it any more. */
  resumeFeeding(): void;
}

/**
 * What routes a message that no socket can be paused for. `overflow`: queue it past the limit
 * (one will per disconnecting client, or parked PUBLISHes flushed by a DISCONNECT: bounded by their
 * cause). `undefined`: the drop policy of mosquitto ($SYS, the broker's own log topics).
 */
export type MessageSource = FlowSource | 'overflow' | undefined;

export interface FlowSettings {
  /** false: the drop policy of mosquitto for online sessions too. */
  enabled: boolean;
  /** Longest total time (ms) one session may keep publishers paused while stalled, within `windowMs`. */
  maxPauseMs: number;
  windowMs: number;
}

/**
 * A session that keeps sources paused and acknowledges nothing for longer than this is stalled,
 * and the whole gap counts against maxPauseMs. One that acknowledges more often is making
 * progress, however slowly: its publishers are paced to it, which is the point of flow control.
 */
export const STALL_MS = 250;

/** A congested online session: who waits on it, and since when it made no progress. */
interface Congestion {
  readonly feeders: Set<FlowSource>;
  /** Start of the current stretch without progress: the last acknowledgement, or the first wait. */
  stallFrom: number;
  timer: NodeJS.Timeout | undefined;
}

/** How many past pause episodes a session remembers; older ones merge (never forgetting time). */
const HISTORY = 16;

/**
 * End-to-end flow control (docs/flow-control.md). An online session whose queue is full does not
 * drop a QoS 1/2 message: the message is queued past the limit, and its source is paused until the
 * session drains to half its limits. A session that keeps sources paused while stalled (see
 * STALL_MS) for more than maxPauseMs within windowMs is released from that guarantee until it
 * drains: it then drops as mosquitto does.
 * None of this runs while no session is full.
 */
export class FlowControl {
  private readonly congested = new Map<Session, Congestion>();
  /** Past stalls per session: [end, duration] pairs, newest last. */
  private readonly history = new WeakMap<Session, number[]>();
  /** Sessions released from the guarantee until they drain. */
  private readonly released = new Set<Session>();
  private readonly toResume = new Set<FlowSource>();
  private resumeScheduled = false;
  /** Sessions released by the time limit since start, for $SYS. */
  releases = 0;

  constructor(
    private readonly settings: FlowSettings,
    private readonly tell: {
      /** A session was released by the time limit. */
      released(session: Session): void;
      /** A session started holding its sources back (true), or stopped (false). */
      changed(session: Session, congested: boolean): void;
    },
  ) {}

  /** Sources paused right now. */
  get pausedSources(): number {
    const paused = new Set<FlowSource>();
    for (const c of this.congested.values()) for (const f of c.feeders) paused.add(f);
    return paused.size;
  }

  isCongested(session: Session): boolean {
    return session.congested;
  }

  /** Congested or released: its draining matters. Two size checks while no session is either. */
  watching(session: Session): boolean {
    return (
      (this.congested.size > 0 && this.congested.has(session)) ||
      (this.released.size > 0 && this.released.has(session))
    );
  }

  /**
   * A message for an online session that is at its limits: true when it may be queued anyway
   * (its source now waits for the session), false when it is to be dropped.
   */
  admit(session: Session, source: MessageSource): boolean {
    if (source === 'overflow') return true;
    if (source === undefined || !this.settings.enabled || this.released.has(session)) return false;
    let c = this.congested.get(session);
    if (c === undefined) {
      c = { feeders: new Set(), stallFrom: 0, timer: undefined };
      this.congested.set(session, c);
      session.congested = true;
      this.tell.changed(session, true);
    }
    if (!c.feeders.has(source)) {
      c.feeders.add(source);
      if (source.flowBlockers++ === 0) {
        this.toResume.delete(source);
        source.pauseFeeding();
      }
    }
    if (c.timer === undefined) {
      c.stallFrom = Date.now();
      this.arm(session, c, c.stallFrom);
    }
    return true;
  }

  /** The congested session acknowledged a delivery: a gap long enough to be a stall counts. */
  progress(session: Session): void {
    const c = this.congested.get(session);
    if (c === undefined || c.timer === undefined) return;
    const now = Date.now();
    if (now - c.stallFrom > STALL_MS) this.remember(session, now - c.stallFrom, now);
    c.stallFrom = now;
  }

  /** Wakes when the session's stall time would reach the limit if it made no progress meanwhile. */
  private arm(session: Session, c: Congestion, now: number): void {
    const left = this.settings.maxPauseMs - this.stalledWithin(session, now);
    c.timer = setTimeout(() => this.check(session), Math.max(left, STALL_MS));
    c.timer.unref();
  }

  private check(session: Session): void {
    const c = this.congested.get(session);
    if (c === undefined) return;
    const now = Date.now();
    const gap = now - c.stallFrom;
    const stalled = this.stalledWithin(session, now) + (gap > STALL_MS ? gap : 0);
    if (stalled >= this.settings.maxPauseMs) {
      c.timer = undefined;
      this.release(session);
    } else this.arm(session, c, now);
  }

  /** The session drained to its low-water mark, or went away: whoever waited on it goes on. */
  drained(session: Session): void {
    this.released.delete(session);
    const c = this.congested.get(session);
    if (c === undefined) return;
    this.congested.delete(session);
    session.congested = false;
    this.endEpisode(session, c);
    this.tell.changed(session, false);
  }

  /** A source that is gone (a closed connection) waits for nothing. */
  forget(source: FlowSource): void {
    if (source.flowBlockers === 0) return;
    for (const [session, c] of this.congested) {
      if (c.feeders.delete(source) && c.feeders.size === 0) this.endEpisode(session, c, false);
    }
    source.flowBlockers = 0;
    this.toResume.delete(source);
  }

  /** Releases a session from the guarantee at once (its own publisher is the one it blocks). */
  release(session: Session): void {
    const c = this.congested.get(session);
    this.released.add(session);
    if (c === undefined) return;
    this.congested.delete(session);
    session.congested = false;
    this.releases++;
    this.endEpisode(session, c);
    this.tell.released(session);
    this.tell.changed(session, false);
  }

  private endEpisode(session: Session, c: Congestion, unblock = true): void {
    if (c.timer) {
      clearTimeout(c.timer);
      const now = Date.now();
      if (now - c.stallFrom > STALL_MS) this.remember(session, now - c.stallFrom, now);
    }
    c.timer = undefined;
    if (!unblock) return;
    for (const source of c.feeders) {
      if (--source.flowBlockers === 0) this.toResume.add(source);
    }
    c.feeders.clear();
    this.scheduleResume();
  }

  /** Resumes on a later turn: never inside the acknowledgement that drained the session. */
  private scheduleResume(): void {
    if (this.resumeScheduled || this.toResume.size === 0) return;
    this.resumeScheduled = true;
    setImmediate(() => {
      this.resumeScheduled = false;
      const sources = [...this.toResume];
      this.toResume.clear();
      for (const source of sources) if (source.flowBlockers === 0) source.resumeFeeding();
    });
  }

  private remember(session: Session, stalled: number, end: number): void {
    let h = this.history.get(session);
    if (h === undefined) {
      h = [];
      this.history.set(session, h);
    }
    h.push(end, stalled);
    if (h.length > HISTORY * 2) {
      // Merge the two oldest: the later end and the summed time, so the total is never under-counted.
      h.splice(0, 4, h[2]!, h[1]! + h[3]!);
    }
  }

  /** Stall time (ms) of the session in the window that ends at `now`. */
  private stalledWithin(session: Session, now: number): number {
    const h = this.history.get(session);
    if (h === undefined) return 0;
    let total = 0;
    for (let i = 0; i < h.length; i += 2) if (h[i]! > now - this.settings.windowMs) total += h[i + 1]!;
    return total;
  }
}
