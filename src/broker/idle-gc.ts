/** Connections accepted since the last collection that make a burst worth collecting after. */
const BURST = 1000;

/**
 * A full garbage collection once a burst of connections is over. Accepting thousands of clients
 * leaves their handshakes' garbage in the old generation, and an idle process never runs the
 * full collection that would free it: measured, 10,000 idle connections held about 1.1 KB each
 * of such garbage. The collection needs `--expose-gc`, which bin/mqx.js passes to node; without
 * it (e.g. `node dist/src/cli.js`) this does nothing.
 */
export class IdleCollector {
  private seen = 0;
  private collectedAt = 0;
  private readonly gc = (globalThis as { gc?: () => void }).gc;

  /** Called once a second with the count of connections accepted so far. */
  tick(connectionsTotal: number): void {
    if (this.gc === undefined) return;
    const quiet = connectionsTotal === this.seen;
    this.seen = connectionsTotal;
    if (quiet && connectionsTotal - this.collectedAt >= BURST) {
      this.collectedAt = connectionsTotal;
      this.gc();
    }
  }
}
