import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdleCollector } from '../../src/broker/idle-gc.js';

describe('idle collector', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('collects once after a burst of connections has stopped, not during it nor after small ones', () => {
    const gc = vi.fn();
    vi.stubGlobal('gc', gc);
    const idle = new IdleCollector();
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

  it('does nothing when node was started without --expose-gc', () => {
    vi.stubGlobal('gc', undefined);
    const idle = new IdleCollector();
    expect(() => {
      idle.tick(5000);
      idle.tick(5000);
    }).not.toThrow();
  });
});
