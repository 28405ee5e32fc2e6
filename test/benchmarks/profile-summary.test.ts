import { describe, expect, it } from 'vitest';
import { hotFunctions } from '../../benchmarks/profile-summary.js';

describe('hotFunctions', () => {
  it('sums self time per function from samples and time deltas, idle excluded', () => {
    const frame = (functionName: string, line: number) => ({
      functionName,
      url: 'file:///x/dist/src/a.js',
      lineNumber: line,
    });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(idle)', -1) },
        { id: 2, callFrame: frame('route', 9) },
        { id: 3, callFrame: frame('decode', 19) },
        { id: 4, callFrame: frame('route', 9) },
      ],
      samples: [1, 2, 3, 4, 2],
      timeDeltas: [500, 100, 100, 100, 100],
    };
    const hot = hotFunctions(profile, 5);
    expect(hot.map((h) => [h.name, h.location, Math.round(h.percent)])).toEqual([
      ['route', 'dist/src/a.js:10', 75],
      ['decode', 'dist/src/a.js:20', 25],
    ]);
  });
});
