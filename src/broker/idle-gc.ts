/** Connections accepted since the last collection that make a burst worth collecting after. */
const BURST = 1000;

/**
 * A full collection that also compacts the heap, so that the pages it empties go back to the
 * system now rather than when V8's memory reducer gets to them, eight seconds later (10,000 idle
 * connections: 4.1 KB of RSS each before, 3.0 KB after; `npm run bench`, idle scenario). From V8
 * 12 (Node 22) a full collection keeps the pages it empties in a pool that only a collection
 * reducing memory gives back, so there it is V8's 'last-resort' one, which it runs itself under
 * memory pressure: measured after 10,000 connects, 2.5 KB (Node 22) and 3.1 KB (Node 24) a
 * connection two seconds on, where a compacting one raised RSS to 5.0 and 5.6 KB until the memory
 * reducer came eight seconds later (Node 24: two full collections, 43 ms together; V8 11's
 * compacting one, 35 ms). V8 11 takes the same call and gives nothing back (4.9 KB).
 * V8's `gc()` comes without starting node with `--expose-gc`: that flag costs every run of mqx about
 * 6 ms of start-up (node's built-in code cache no longer matches V8's flags), which a one-shot
 * `mqx pub` cannot spare; a context created after the flag is set gets the function. node:v8 and
 * node:vm are loaded only then, so an idle broker that never collects does without them.
 */
export function compactingGc(): () => void {
  const v8 = process.getBuiltinModule('node:v8');
  v8.setFlagsFromString('--expose-gc');
  const gc = process.getBuiltinModule('node:vm').runInNewContext('gc') as (options?: object) => void;
  if (Number(process.versions.v8.split('.')[0]) >= 12)
    return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return () => {
    // Only this collection compacts: compacting every one would make each pause several times longer.
    v8.setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      v8.setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}

/**
 * A full garbage collection once a burst of connections is over. Accepting thousands of clients
 * leaves their handshakes' garbage in the old generation, and an idle process never runs the
 * full collection that would free it: measured, 10,000 idle connections held about 1.1 KB each
 * of such garbage.
 */
export class IdleCollector {
  private seen = 0;
  private collectedAt = 0;

  /** Without `gc`, V8's own, fetched at the first collection: node:v8 costs a broker memory. */
  constructor(private gc?: () => void) {}

  /** Called once a second with the count of connections accepted so far. */
  tick(connectionsTotal: number): void {
    const quiet = connectionsTotal === this.seen;
    this.seen = connectionsTotal;
    if (quiet && connectionsTotal - this.collectedAt >= BURST) {
      this.collectedAt = connectionsTotal;
      this.gc ??= compactingGc();
      this.gc();
    }
  }
}
