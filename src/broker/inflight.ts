import type { Outgoing } from './session.js';

const FIRST_CAPACITY = 8;
/** Tables this small (at most 1 KB) are kept whatever is left in them. */
const SMALL = 64;

/**
 * A session's QoS 1/2 deliveries in flight, by packet id, iterated in the order they were put in.
 * A Map did this, but packet ids only move on (1, 2, 3 ... 65535, 1 ...), so every send and
 * acknowledgement left a deleted entry in the Map's table until it rehashed into a new one: about
 * 90 bytes of garbage per message (allocation sampling, 20 pairs at QoS 1). Here an id's low bits
 * index a power-of-two table (open addressing, linear probing), so consecutive ids never collide,
 * a deletion leaves no tombstone, and a table is replaced only when it grows or shrinks.
 */
export class Inflight {
  private slots: Array<Outgoing | undefined> = new Array<Outgoing | undefined>(FIRST_CAPACITY).fill(
    undefined,
  );
  /** When each slot's delivery was put in: iteration order. */
  private order: number[] = new Array<number>(FIRST_CAPACITY).fill(0);
  private count = 0;
  private putCount = 0;
  /** No entry sits further than this past its home slot: where a deletion's shift may stop. */
  private maxShift = 0;
  /** Deletions in a row that left the table under a sixteenth full. */
  private sparseDeletes = 0;

  get size(): number {
    return this.count;
  }

  has(packetId: number): boolean {
    return this.find(packetId) >= 0;
  }

  get(packetId: number): Outgoing | undefined {
    const at = this.find(packetId);
    return at < 0 ? undefined : this.slots[at];
  }

  /** Puts a delivery in under its own packet id; one already there with that id is replaced in place. */
  set(out: Outgoing): void {
    const at = this.find(out.packetId);
    if (at >= 0) {
      this.slots[at] = out;
      return;
    }
    if ((this.count + 1) * 2 > this.slots.length) this.resize(this.slots.length * 2);
    this.place(out, this.putCount++);
    this.count++;
  }

  /** Room for `more` deliveries without growing step by step (a retained replay puts in thousands at once). */
  reserve(more: number): void {
    let capacity = this.slots.length;
    while ((this.count + more) * 2 > capacity) capacity *= 2;
    if (capacity > this.slots.length) this.resize(capacity);
  }

  delete(packetId: number): boolean {
    let hole = this.find(packetId);
    if (hole < 0) return false;
    const slots = this.slots;
    const mask = slots.length - 1;
    slots[hole] = undefined;
    this.count--;
    // Backward shift: an entry further along the probe run moves into the hole unless its home
    // slot lies (cyclically) after the hole, so that every probe run stays unbroken. Past
    // maxShift from the hole no entry can move: with ids that follow each other, none has moved
    // from its home, so a deletion looks at one slot, not at the whole window in flight.
    for (let next = (hole + 1) & mask; ; next = (next + 1) & mask) {
      const entry = slots[next];
      if (entry === undefined || ((next - hole) & mask) > this.maxShift) break;
      const home = entry.packetId & mask;
      const reachable = hole <= next ? home <= hole || home > next : home <= hole && home > next;
      if (!reachable) continue;
      slots[hole] = entry;
      this.order[hole] = this.order[next]!;
      slots[next] = undefined;
      hole = next;
    }
    // Shrinks once it has stayed under a sixteenth full for as many deletions as it has slots, and
    // never below SMALL: a window that swings (a burst of 1,000 in flight, drained, and again)
    // must not reallocate the table every swing.
    if (slots.length > SMALL && this.count * 16 < slots.length) {
      if (++this.sparseDeletes >= slots.length) this.resize(slots.length / 2);
    } else {
      this.sparseDeletes = 0;
    }
    return true;
  }

  /** The deliveries in the order they were put in. */
  values(): Outgoing[] {
    const taken: number[] = [];
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i] !== undefined) taken.push(i);
    taken.sort((a, b) => this.order[a]! - this.order[b]!);
    return taken.map((i) => this.slots[i]!);
  }

  private find(packetId: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = packetId & mask; ; i = (i + 1) & mask) {
      const entry = slots[i];
      if (entry === undefined) return -1;
      if (entry.packetId === packetId) return i;
    }
  }

  private place(out: Outgoing, putAt: number): void {
    const mask = this.slots.length - 1;
    const home = out.packetId & mask;
    let i = home;
    while (this.slots[i] !== undefined) i = (i + 1) & mask;
    this.slots[i] = out;
    this.order[i] = putAt;
    this.maxShift = Math.max(this.maxShift, (i - home) & mask);
  }

  private resize(capacity: number): void {
    const slots = this.slots;
    const order = this.order;
    this.slots = new Array<Outgoing | undefined>(capacity).fill(undefined);
    this.order = new Array<number>(capacity).fill(0);
    this.maxShift = 0;
    this.sparseDeletes = 0;
    for (let i = 0; i < slots.length; i++) {
      const entry = slots[i];
      if (entry !== undefined) this.place(entry, order[i]!);
    }
  }
}
