/**
 * Issue 8's targets for the lead's final run, checked against the medians: throughput ≥ 3×
 * mosquitto and ≥ 2× Aedes; ≤ 3 KB per idle connection and connects at least as fast as
 * mosquitto; retained delivery no slower and p99 no worse than mosquitto; idle RSS < 40 MB.
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

const THROUGHPUT = ['fan-in-q0', 'fan-in-q1', 'fan-in-q2', 'fan-out-q0', 'fan-out-q1', 'pairs-q1'];

export const TARGETS: Target[] = [
  ...THROUGHPUT.flatMap((s) => [ratio(s, 'perSecond', 'mosquitto', 3), ratio(s, 'perSecond', 'aedes', 2)]),
  absolute('idle-10k', 'bytesPerConnection', '≤ 3 KB', (n) => n <= 3 * 1024),
  ratio('idle-10k', 'connectPerSecond', 'mosquitto', 1),
  absolute('idle-10k', 'idleRssMB', '< 40 MB', (n) => n < 40),
  atMost('retained-10k', 'ms', 'mosquitto'),
  atMost('latency-1k-q1', 'p99', 'mosquitto'),
];
