/** Connections accepted since the last collection that make a burst worth collecting after. */
const BURST = 1000;

/**
 * V8's `gc()`, without starting node with `--expose-gc`: that flag costs every run of mqx about
 * 6 ms of start-up (node's built-in code cache no longer matches V8's flags), which a one-shot
 * `mqx pub` cannot spare. A context created after the flag is set gets the function. node:v8 and
 * node:vm are loaded only then, so an idle broker that never collects does without them.
 */
export function exposedGc(): () => void {
  process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc');
  return process.getBuiltinModule('node:vm').runInNewContext('gc') as () => void;
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
      this.gc ??= exposedGc();
      this.gc();
    }
  }
}
