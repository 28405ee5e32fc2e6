import { describe, expect, it } from 'vitest';
import { fuzz } from './fuzz.js';

describe('decoder fuzzing (time-bounded share; `npm run fuzz` runs a million cases)', () => {
  it('only ProtocolError escapes, no case hangs, buffering stays under the maximum packet size', () => {
    const report = fuzz({ cases: 1_000_000, timeLimitMs: 3_000 });
    expect(report.failures.slice(0, 5), `fuzz seed ${report.seed}`).toEqual([]);
    expect(report.cases).toBeGreaterThan(1_000);
    expect(report.protocolErrors).toBeGreaterThan(0);
    expect(report.packetsDelivered).toBeGreaterThan(0);
  });
});
