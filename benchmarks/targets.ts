/**
 * Issue 23's targets, checked against the medians: deliveries/s ≥ 10× mosquitto at QoS 0, ≥ 8×
 * for fan-out and fan-in at QoS 2, ≥ 6× for fan-in and pairs at QoS 1; an idle connection at most
 * 500 bytes above what one costs a bare net.Server under the same node flags, at most 100 µs of
 * broker CPU per connect and connects at least as fast as mosquitto; retained delivery, at QoS 0
 * and 1, no slower than mosquitto; p99 and p99.9 at 1,000 msg/s no worse than mosquitto. Aedes
 * stays in the table as a comparison, not as a target.
 */
import type { BrokerName } from './brokers.js';

export interface Target {
  scenario: string;
  metric: string;
  text: string;
  check(value: (broker: BrokerName) => number | undefined): boolean | undefined;
}

function ratio(scenario: string, metric: string, against: BrokerName, factor: number): Target {
  return {
    scenario,
    metric,
    text: `≥ ${factor}× ${against}`,
    check: (v) => {
      const mqx = v('mqx');
      const other = v(against);
      return mqx === undefined || other === undefined ? undefined : mqx >= factor * other;
    },
  };
}

function atMost(scenario: string, metric: string, against: BrokerName): Target {
  return {
    scenario,
    metric,
    text: `≤ ${against}`,
    check: (v) => {
      const mqx = v('mqx');
      const other = v(against);
      return mqx === undefined || other === undefined ? undefined : mqx <= other;
    },
  };
}

function atMostAbove(
  scenario: string,
  metric: string,
  against: BrokerName,
  margin: number,
  unit: string,
): Target {
  return {
    scenario,
    metric,
    text: `≤ ${against} + ${margin} ${unit}`,
    check: (v) => {
      const mqx = v('mqx');
      const other = v(against);
      return mqx === undefined || other === undefined ? undefined : mqx <= other + margin;
    },
  };
}

function absolute(scenario: string, metric: string, text: string, ok: (n: number) => boolean): Target {
  return {
    scenario,
    metric,
    text,
    check: (v) => {
      const mqx = v('mqx');
      return mqx === undefined ? undefined : ok(mqx);
    },
  };
}

const FACTORS: Record<string, number> = {
  'fan-in-q0': 10,
  'fan-out-q0': 10,
  'fan-out-q1': 8,
  'fan-in-q2': 8,
  'fan-in-q1': 6,
  'pairs-q1': 6,
};

export const TARGETS: Target[] = [
  ...Object.entries(FACTORS).map(([s, factor]) => ratio(s, 'perSecond', 'mosquitto', factor)),
  atMostAbove('idle-10k', 'bytesPerConnection', 'netserver', 500, 'B'),
  atMostAbove('idle-10k', 'bytesPerConnectionSettled', 'netserver', 500, 'B'),
  absolute('idle-10k', 'cpuPerConnectUs', '≤ 100 µs', (n) => n <= 100),
  ratio('idle-10k', 'connectPerSecond', 'mosquitto', 1),
  atMost('retained-10k', 'ms', 'mosquitto'),
  atMost('retained-10k-q1', 'ms', 'mosquitto'),
  atMost('latency-1k-q1', 'p99', 'mosquitto'),
  atMost('latency-1k-q1', 'p999', 'mosquitto'),
];
