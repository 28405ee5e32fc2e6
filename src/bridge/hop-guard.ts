/**
 * Multi-hop loop prevention. The bridge flag and No Local only keep a message from going back over
 * the link it came in on; in a cycle of three or more brokers (or two paths to one broker) it can
 * still come round again. Each broker keeps a bounded record of the messages that crossed one of
 * its bridge links, in or out, by a digest of topic and payload: a message that arrives over a
 * bridge while its digest is in the record is a copy, acknowledged and not delivered.
 *
 * The record is short-lived on purpose: 3.1.1 carries nothing that tells two publishes apart, so a
 * genuinely new message identical to one that crossed less than DIGEST_TTL_MS before is taken for a
 * copy. On MQTT 5 links the bridge also counts hops in a user property, a backstop for cycles
 * slower than the record (a remapping that changes the topic at each hop) that drops a message
 * after MAX_HOPS bridges.
 */
import { createHash } from 'node:crypto';

export const HOPS_PROPERTY = 'mqx-hops';
export const MAX_HOPS = 16;
/** A copy coming round a cycle of in-process or LAN brokers takes milliseconds; repeated readings take seconds. */
export const DIGEST_TTL_MS = 500;
/** Entries kept at most: about 100 bytes each. */
export const DIGEST_LIMIT = 20_000;

interface Crossed {
  readonly topic: string;
  readonly payload: Buffer;
}

function digest(topic: string, payload: Buffer): string {
  return createHash('sha1').update(topic).update('\0').update(payload).digest('base64');
}

/** The hop count a message carries (0 when it carries none). */
export function hopsOf(userProperties: ReadonlyArray<[string, string]> | undefined): number {
  const entry = userProperties?.find(([k]) => k === HOPS_PROPERTY);
  return entry === undefined ? 0 : Number(entry[1]) || 0;
}

/** The user properties for the next hop: the count raised by one. */
export function nextHop(userProperties: ReadonlyArray<[string, string]> | undefined): Array<[string, string]> {
  const others = (userProperties ?? []).filter(([k]) => k !== HOPS_PROPERTY);
  return [...others, [HOPS_PROPERTY, String(hopsOf(userProperties) + 1)]];
}

export class HopGuard {
  /** Digest → epoch ms it expires; a Map iterates in insertion order, so the oldest go first. */
  private readonly seen = new Map<string, number>();
  /** Messages already recorded as leaving: one is delivered to several bridges. */
  private readonly recorded = new WeakSet<Crossed>();
  /** Copies refused, for the lab view and tests. */
  copies = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A message leaves over a bridge link. */
  leaving(message: Crossed): void {
    if (this.recorded.has(message)) return;
    this.recorded.add(message);
    this.remember(digest(message.topic, message.payload));
  }

  /** A message arrives over a bridge link: false when it is a copy of one that crossed here. */
  arriving(topic: string, payload: Buffer, userProperties?: ReadonlyArray<[string, string]>): boolean {
    const key = digest(topic, payload);
    const until = this.seen.get(key);
    if ((until !== undefined && until > this.now()) || hopsOf(userProperties) > MAX_HOPS) {
      this.copies++;
      return false;
    }
    this.remember(key);
    return true;
  }

  private remember(key: string): void {
    this.seen.delete(key);
    this.seen.set(key, this.now() + DIGEST_TTL_MS);
    if (this.seen.size <= DIGEST_LIMIT) return;
    const now = this.now();
    for (const [k, until] of this.seen) {
      if (until > now && this.seen.size <= DIGEST_LIMIT) break;
      this.seen.delete(k);
    }
  }
}
