import { describe, expect, it } from 'vitest';
import type { LabPublisher, LabSubscriber } from '../../src/lab/lab-file.js';
import { labReport } from '../../src/lab/report.js';
import type { RunningLab } from '../../src/lab/runner.js';

const publisher = (topic: string, sent: number) => ({
  spec: { name: `pub-${topic}`, broker: 'a', topic } as LabPublisher,
  sent,
});
const subscriber = (name: string, counts: Record<string, number>, expect?: LabSubscriber['expect']) => ({
  spec: { name, broker: 'b', filters: ['#'], qos: 0, ...(expect ? { expect } : {}) } as LabSubscriber,
  counts: new Map(Object.entries(counts)),
  last: [],
});
const lab = (publishers: unknown[], subscribers: unknown[]) =>
  ({ publishers, subscribers }) as unknown as RunningLab;

describe('labReport', () => {
  it('counts per topic against what was sent; exactly what was sent passes', () => {
    const report = labReport(
      lab(
        [publisher('t', 5), publisher('h', 4)],
        [subscriber('s', { t: 5, h: 4 }, { topics: ['t', 'h'], min: 3 })],
      ),
    );
    expect(report.lines).toContain('subscriber s on b: h 4 of 4, t 5 of 5');
    expect(report.failures).toEqual([]);
  });

  it('fails on more than was sent (duplicates) and on an expect not met', () => {
    const report = labReport(
      lab(
        [publisher('t', 5)],
        [subscriber('dup', { t: 6 }), subscriber('few', { t: 2 }, { topics: ['t', 'h'], min: 3 })],
      ),
    );
    expect(report.failures).toEqual([
      'dup got 6 messages on t, 5 were sent: duplicates',
      'few expected at least 3 on t, got 2',
      'few expected at least 3 on h, got 0',
    ]);
  });
});
