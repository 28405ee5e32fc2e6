/** What a SessionTable keys its members by: their own client id, so the table holds no key of its own. */
export interface Keyed {
  readonly clientId: string;
}

/** A slot whose member was deleted: a lookup goes on past it, an insert may take it. */
const GONE = { clientId: '' };

/** Fewest slots; a power of two, as every size is (the slot of a hash is `hash & (slots - 1)`). */
const MIN_SLOTS = 16;

/**
 * The broker's sessions by client id, in one array of slots holding the sessions themselves
 * (open addressing, linear probing). A Map kept a table entry of three words and half a bucket for
 * each, about 46 bytes a session at 10,000 idle connections (heap snapshot); a slot is one word,
 * 1.3 to 2.7 of them a session while the table grows (up to 4 just after it shrinks), 13 bytes a
 * session at 10,000.
 *
 * A deleted member leaves GONE in its slot, so nothing moves until the next insert that grows or
 * rebuilds the slots: a walk may delete any member, the one it is on included, and a walk during
 * which members are added goes on over the slots it started with.
 *
 * Ids are hashed with FNV-1a from a seed drawn at start: not a keyed cryptographic hash, so ids
 * made to collide could lengthen the lookups of a CONNECT (mosquitto's uthash has no seed at
 * all); a lookup is made when a client connects or a session ends (and by the admin API and a
 * cluster handover), never per message.
 */
export class SessionTable<T extends Keyed> implements Iterable<T> {
  private slots: (T | typeof GONE | undefined)[] = new Array(MIN_SLOTS).fill(undefined);
  private count = 0;
  /** Slots holding GONE. */
  private gone = 0;
  private readonly seed = (Math.random() * 0x1_0000_0000) >>> 0;

  get size(): number {
    return this.count;
  }

  get(clientId: string): T | undefined {
    const at = this.find(clientId);
    return at < 0 ? undefined : (this.slots[at] as T);
  }

  has(clientId: string): boolean {
    return this.find(clientId) >= 0;
  }

  /** Adds a member, or puts it in the place of the one with its client id. */
  set(member: T): void {
    const found = this.find(member.clientId);
    if (found >= 0) {
      this.slots[found] = member;
      return;
    }
    // A load of at most 3/4, GONE slots counted: the probe that ends a failed lookup stays short.
    if ((this.count + this.gone + 1) * 4 > this.slots.length * 3) this.rebuild();
    const slots = this.slots;
    const mask = slots.length - 1;
    let at = this.hash(member.clientId) & mask;
    for (;;) {
      const held = slots[at];
      if (held === undefined || held === GONE) {
        if (held === GONE) this.gone--;
        slots[at] = member;
        this.count++;
        return;
      }
      at = (at + 1) & mask;
    }
  }

  /** Removes the member with this client id; false when there is none. */
  delete(clientId: string): boolean {
    const at = this.find(clientId);
    if (at < 0) return false;
    this.slots[at] = GONE;
    this.count--;
    this.gone++;
    return true;
  }

  /** Visits every member, in no particular order. */
  forEach(visit: (member: T) => void): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const held = slots[i];
      if (held !== undefined && held !== GONE) visit(held as T);
    }
  }

  *values(): IterableIterator<T> {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const held = slots[i];
      if (held !== undefined && held !== GONE) yield held as T;
    }
  }

  *keys(): IterableIterator<string> {
    for (const member of this.values()) yield member.clientId;
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }

  /** Slot of the member with this client id, or -1. */
  private find(clientId: string): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    let at = this.hash(clientId) & mask;
    for (;;) {
      const held = slots[at];
      if (held === undefined) return -1;
      if (held !== GONE && held.clientId === clientId) return at;
      at = (at + 1) & mask;
    }
  }

  /** New slots for the members, without GONE: the fewest that hold them at a load of at most 1/2. */
  private rebuild(): void {
    const old = this.slots;
    let length = MIN_SLOTS;
    while (length < (this.count + 1) * 2) length *= 2;
    const slots: (T | typeof GONE | undefined)[] = new Array(length).fill(undefined);
    const mask = length - 1;
    for (let i = 0; i < old.length; i++) {
      const held = old[i];
      if (held === undefined || held === GONE) continue;
      let at = this.hash(held.clientId) & mask;
      while (slots[at] !== undefined) at = (at + 1) & mask;
      slots[at] = held;
    }
    this.slots = slots;
    this.gone = 0;
  }

  /** FNV-1a over the id's UTF-16 code units, from the seed, with a final mix of the high bits into the low. */
  private hash(clientId: string): number {
    let h = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < clientId.length; i++) h = Math.imul(h ^ clientId.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12);
  }
}
