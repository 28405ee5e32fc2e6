import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlowControl, type FlowSource, STALL_MS } from '../../src/broker/flow-control.js';
import { Session } from '../../src/broker/session.js';

function source(): FlowSource & { pauses: number; resumes: number } {
  const s = {
    flowBlockers: 0,
    pauses: 0,
    resumes: 0,
    pauseFeeding: () => {
      s.pauses++;
    },
    resumeFeeding: () => {
      s.resumes++;
    },
  };
  return s;
}

describe('FlowControl', () => {
  let released: Session[];
  let flow: FlowControl;
  beforeEach(() => {
    vi.useFakeTimers();
    released = [];
    flow = new FlowControl(
      { enabled: true, maxPauseMs: 2_000, windowMs: 10_000 },
      { released: (s) => released.push(s), changed: () => undefined },
    );
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pauses a source once per congested session it feeds, and resumes it on a later turn once all drained', async () => {
    const a = new Session('a');
    const b = new Session('b');
    const src = source();
    expect(flow.admit(a, src)).toBe(true);
    expect(flow.admit(a, src)).toBe(true);
    expect(flow.admit(b, src)).toBe(true);
    expect(src.pauses).toBe(1);
    expect(src.flowBlockers).toBe(2);
    expect(a.congested && b.congested).toBe(true);
    expect(flow.pausedSources).toBe(1);
    flow.drained(a);
    await vi.advanceTimersByTimeAsync(0);
    expect(src.resumes).toBe(0);
    flow.drained(b);
    expect(src.resumes).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(src.resumes).toBe(1);
    expect(flow.pausedSources).toBe(0);
    expect(a.congested || b.congested).toBe(false);
  });

  it('admits what has no socket to pause only by policy: overflow yes, undefined ($SYS) no', () => {
    const s = new Session('s');
    expect(flow.admit(s, 'overflow')).toBe(true);
    expect(flow.admit(s, undefined)).toBe(false);
  });

  it('admits nothing when disabled', () => {
    const off = new FlowControl(
      { enabled: false, maxPauseMs: 1, windowMs: 1 },
      { released: () => undefined, changed: () => undefined },
    );
    expect(off.admit(new Session('s'), source())).toBe(false);
  });

  it('releases a session that stalls its sources for maxPauseMs, until it drains', async () => {
    const s = new Session('s');
    const src = source();
    flow.admit(s, src);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(released).toEqual([]);
    await vi.advanceTimersByTimeAsync(300);
    expect(released).toEqual([s]);
    expect(flow.releases).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(src.resumes).toBe(1);
    // Released: further messages are dropped, and the source is not paused again.
    expect(flow.admit(s, src)).toBe(false);
    expect(src.pauses).toBe(1);
    flow.drained(s);
    expect(flow.admit(s, src)).toBe(true);
  });

  it('does not count a session that keeps acknowledging, however long it holds its sources', async () => {
    const s = new Session('s');
    flow.admit(s, source());
    for (let t = 0; t < 20_000; t += STALL_MS / 2) {
      await vi.advanceTimersByTimeAsync(STALL_MS / 2);
      flow.progress(s);
    }
    expect(released).toEqual([]);
  });

  it('adds stalls up within the window', async () => {
    const s = new Session('s');
    const src = source();
    flow.admit(s, src);
    await vi.advanceTimersByTimeAsync(1_500);
    flow.progress(s);
    flow.drained(s);
    await vi.advanceTimersByTimeAsync(1_000);
    flow.admit(s, src);
    await vi.advanceTimersByTimeAsync(400);
    expect(released).toEqual([]);
    await vi.advanceTimersByTimeAsync(300);
    expect(released).toEqual([s]);
  });

  it('forgets the stalls that left the window', async () => {
    const s = new Session('s');
    const src = source();
    flow.admit(s, src);
    await vi.advanceTimersByTimeAsync(1_500);
    flow.drained(s);
    await vi.advanceTimersByTimeAsync(10_000);
    flow.admit(s, src);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(released).toEqual([]);
  });

  it('forgets a source that went away without resuming it', async () => {
    const s = new Session('s');
    const gone = source();
    const other = source();
    flow.admit(s, gone);
    flow.admit(s, other);
    flow.forget(gone);
    expect(gone.flowBlockers).toBe(0);
    flow.drained(s);
    await vi.advanceTimersByTimeAsync(0);
    expect(gone.resumes).toBe(0);
    expect(other.resumes).toBe(1);
  });
});
