import type { DeliveryPlan, SharedGroup, SubscriptionIndex } from '../broker/router.js';
import type { Subscription } from '../broker/session.js';
import { directoryEntry } from './directory.js';

/**
 * The broker's router, seen through the cluster: routing stays local and allocation-free, and
 * the first subscription to an entry here, and the last one to go, are announced to the other
 * nodes (see directory.ts), so they forward only what someone here wants.
 */
export class ClusterRouter implements SubscriptionIndex {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly inner: SubscriptionIndex,
    private readonly announce: (entry: string, present: boolean) => void,
  ) {}

  get size(): number {
    return this.inner.size;
  }

  /** Entries this node holds now, for announcing them again after Redis was lost. */
  get entries(): string[] {
    return [...this.counts.keys()];
  }

  add(sub: Subscription): void {
    this.inner.add(sub);
    const entry = directoryEntry(sub.group, sub.matchFilter);
    const n = this.counts.get(entry) ?? 0;
    this.counts.set(entry, n + 1);
    if (n === 0) this.announce(entry, true);
  }

  remove(sub: Subscription): void {
    this.inner.remove(sub);
    const entry = directoryEntry(sub.group, sub.matchFilter);
    const n = this.counts.get(entry);
    if (n === undefined) return;
    if (n > 1) {
      this.counts.set(entry, n - 1);
      return;
    }
    this.counts.delete(entry);
    this.announce(entry, false);
  }

  plan(topic: string): DeliveryPlan {
    return this.inner.plan(topic);
  }

  pickShared(group: SharedGroup): Subscription | undefined {
    return this.inner.pickShared(group);
  }
}
