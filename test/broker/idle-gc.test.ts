import { describe, expect, it, vi } from 'vitest';
import { compactingGc, IdleCollector } from '../../src/broker/idle-gc.js';

describe('idle collector', () => {
  it('collects once after a burst of connections has stopped, not during it nor after small ones', () => {
    const gc = vi.fn();
    const idle = new IdleCollector(gc);
    idle.tick(500);
    idle.tick(1500);
    expect(gc).not.toHaveBeenCalled();
    idle.tick(1500);
    expect(gc).toHaveBeenCalledTimes(1);
    idle.tick(1500);
    idle.tick(1600);
    idle.tick(1600);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  // The collection this runtime's V8 gets (compactingGc): CI runs the suite on Node 20 and 24.
  it(`collects with V8 ${process.versions.v8}'s collector, without --expose-gc on node's command line`, async () => {
    expect(process.execArgv).not.toContain('--expose-gc');
    const gc = compactingGc();
    const garbage = new WeakRef({ big: new Array(1000).fill(0) });
    // A WeakRef holds its target until the job that created it is over.
    await new Promise(setImmediate);
    gc();
    expect(garbage.deref()).toBeUndefined();
  });
});
