/**
 * Checks what one subscriber received against what the publishers sent: every publisher numbers
 * its messages 0, 1, 2... and the checker counts, per publisher, duplicates (a number seen twice),
 * reorderings (a number arriving after a higher one) and, at the end, losses (numbers never seen).
 * A bitmap per publisher keeps this exact at one bit per message.
 */
export interface SequenceReport {
  received: number;
  unique: number;
  lost: number;
  duplicates: number;
  reordered: number;
}

class Stream {
  seen = new Uint8Array(1024);
  highest = -1;
  unique = 0;

  /** Marks `seq`; returns false when it was already marked. */
  mark(seq: number): boolean {
    const byte = seq >>> 3;
    if (byte >= this.seen.length) {
      const grown = new Uint8Array(Math.max(this.seen.length * 2, byte + 1));
      grown.set(this.seen);
      this.seen = grown;
    }
    const bit = 1 << (seq & 7);
    if ((this.seen[byte]! & bit) !== 0) return false;
    this.seen[byte]! |= bit;
    this.unique++;
    return true;
  }
}

export type Verdict = 'ok' | 'duplicate' | 'reordered';

export class SequenceChecker {
  private readonly streams = new Map<number, Stream>();
  received = 0;
  duplicates = 0;
  reordered = 0;

  record(publisher: number, seq: number): Verdict {
    this.received++;
    let stream = this.streams.get(publisher);
    if (stream === undefined) {
      stream = new Stream();
      this.streams.set(publisher, stream);
    }
    if (!stream.mark(seq)) {
      this.duplicates++;
      return 'duplicate';
    }
    if (seq < stream.highest) {
      this.reordered++;
      return 'reordered';
    }
    stream.highest = seq;
    return 'ok';
  }

  /** Distinct messages received from one publisher. */
  uniqueFrom(publisher: number): number {
    return this.streams.get(publisher)?.unique ?? 0;
  }

  /**
   * The verdict so far. With `expected` (messages sent per publisher id) a loss is anything sent
   * and not received, including whole publishers never heard from; without it, only the gaps
   * below the highest number seen from each publisher can be known.
   */
  report(expected?: ReadonlyMap<number, number>): SequenceReport {
    let unique = 0;
    let lost = 0;
    for (const stream of this.streams.values()) {
      unique += stream.unique;
      if (expected === undefined) lost += stream.highest + 1 - stream.unique;
    }
    if (expected !== undefined) {
      for (const [publisher, sent] of expected) lost += Math.max(0, sent - this.uniqueFrom(publisher));
    }
    return { received: this.received, unique, lost, duplicates: this.duplicates, reordered: this.reordered };
  }
}
