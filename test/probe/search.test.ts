import { describe, expect, it } from 'vitest';
import { largestAccepted } from '../../src/probe/search.js';

const under = (limit: number) => async (n: number) => n <= limit;

describe('searching a limit by trying', () => {
  it.each([1, 999, 1000, 1023, 1024, 1025, 5000, 65534])('finds a limit of %i exactly', async (limit) => {
    const r = await largestAccepted(under(limit), { floor: 0, start: 1024, cap: 65535, maxTrials: 40 });
    expect(r).toMatchObject({ value: limit, exact: true });
    expect(r.trials).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(65535)));
  });

  it('a limit at or above the cap is a lower bound', async () => {
    expect(await largestAccepted(under(1e9), { floor: 0, start: 1024, cap: 4096, maxTrials: 40 })).toEqual({
      value: 4096,
      exact: false,
      trials: 3,
    });
  });

  it('stops at its trial budget with the best lower bound so far', async () => {
    const r = await largestAccepted(under(3000), { floor: 0, start: 1024, cap: 65535, maxTrials: 4 });
    expect(r).toMatchObject({ value: 2048, exact: false, trials: 4 });
  });

  it('nothing above the floor accepted', async () => {
    expect(await largestAccepted(under(0), { floor: 0, start: 16, cap: 100, maxTrials: 40 })).toMatchObject({
      value: 0,
      exact: true,
    });
    expect(
      await largestAccepted(async () => false, { floor: 4, start: 16, cap: 100, maxTrials: 3 }),
    ).toMatchObject({
      value: undefined,
      exact: false,
    });
  });
});
