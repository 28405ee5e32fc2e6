import { describe, expect, it } from 'vitest';
import type { BrokerName } from '../../benchmarks/brokers.js';
import { reach, SCENARIOS } from '../../benchmarks/scenarios.js';
import { buildRows, formatTable } from '../../benchmarks/table.js';
import { TARGETS } from '../../benchmarks/targets.js';

type Medians = Partial<Record<BrokerName, Record<string, number>>>;

function table(scenarioId: string, medians: Medians, brokers: BrokerName[]) {
  const scenario = SCENARIOS.find((s) => s.id === scenarioId)!;
  const rows = buildRows([scenario], new Map([[scenarioId, medians]]), new Map(), TARGETS);
  return { rows, text: formatTable(rows, brokers) };
}

describe('the results table', () => {
  it('shows a throughput row as a share of the sink, and a dash where a broker does not apply', () => {
    const { text } = table(
      'fan-in-q1',
      { mqx: { perSecond: 60_000 }, mosquitto: { perSecond: 20_000 }, sink: { perSecond: 240_000 } },
      ['mqx', 'mosquitto', 'sink', 'netserver'],
    );
    const [header, , row] = text.split('\n');
    expect(header).toMatch(/mqx vs mosquitto\s+mqx % of sink\s+mqx vs netserver\s+target/);
    expect(row).toMatch(/60\.0k\/s\s+20\.0k\/s\s+240\.0k\/s\s+-\s+3\.00×\s+25%\s+-\s+≥ 6× mosquitto MISSED/);
  });

  it('checks idle bytes against the net server plus 500 and CPU per connect against 100 µs', () => {
    const { rows } = table(
      'idle-10k',
      {
        mqx: { bytesPerConnection: 1400, cpuPerConnectUs: 80, connectPerSecond: 9000 },
        mosquitto: { bytesPerConnection: 900, cpuPerConnectUs: 30, connectPerSecond: 10_000 },
        netserver: { bytesPerConnection: 950, cpuPerConnectUs: 20, connectPerSecond: 12_000 },
      },
      ['mqx', 'mosquitto', 'netserver'],
    );
    const target = (metric: string) => rows.find((r) => r.metric.key === metric)!.targets;
    expect(target('bytesPerConnection')).toEqual([{ text: '≤ netserver + 500 B', pass: true }]);
    expect(target('cpuPerConnectUs')).toEqual([{ text: '≤ 100 µs', pass: true }]);
    expect(target('connectPerSecond')).toEqual([{ text: '≥ 1× mosquitto', pass: false }]);
  });

  it('compares no broker on the rate a latency scenario offered', () => {
    const { text } = table(
      'latency-half-q1',
      { mqx: { rate: 30_000, p99: 1 }, mosquitto: { rate: 30_000, p99: 2 } },
      ['mqx', 'mosquitto'],
    );
    const lines = text.split('\n');
    expect(lines.find((l) => l.includes('offered'))).toMatch(/30\.0k\/s\s+30\.0k\/s\s+-$/);
    expect(lines.find((l) => /\bp99 /.test(l))).toMatch(/1\.00 ms\s+2\.00 ms\s+2\.00×/);
  });

  it('has a p99 and a p99.9 target at 1,000 msg/s', () => {
    expect(TARGETS.filter((t) => t.scenario === 'latency-1k-q1').map((t) => t.metric)).toEqual([
      'p99',
      'p999',
    ]);
  });
});

describe('reach', () => {
  it('counts the subscribers one message gets to', () => {
    expect(reach({ clients: 10, subscribers: 1, topic: 'bench/%i', filter: 'bench/+' })).toBe(1);
    expect(reach({ clients: 1, subscribers: 50, topic: 'bench/fan', filter: 'bench/fan' })).toBe(50);
    expect(reach({ clients: 20, subscribers: 20, topic: 'b/%i', filter: 'b/%i' })).toBe(1);
  });
});
