/**
 * The results table: one row per scenario metric, the median of each broker, how many times better
 * mqx is than each other broker (> 1 is better, whichever direction the metric runs), mqx as a
 * percentage of the sink, the ceiling of the throughput rows, and the target where there
 * is one. A broker a scenario does not apply to shows "-".
 */
import { compact } from '../src/loadgen/report.js';
import type { BrokerName } from './brokers.js';
import type { Metric } from './scenarios.js';
import type { Target } from './targets.js';

export interface Row {
  scenario: string;
  title: string;
  metric: Metric;
  median: Partial<Record<BrokerName, number>>;
  failed: Partial<Record<BrokerName, boolean>>;
  targets: Array<{ text: string; pass: boolean | undefined }>;
}

export function advantage(
  metric: Metric,
  mqx: number | undefined,
  other: number | undefined,
): number | undefined {
  if (metric.better === 'neither') return undefined;
  if (mqx === undefined || other === undefined || !(mqx > 0) || !(other > 0)) return undefined;
  return metric.better === 'higher' ? mqx / other : other / mqx;
}

function value(metric: Metric, v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  if (metric.unit === 'ms') return `${v.toFixed(v < 10 ? 2 : 0)} ms`;
  if (metric.unit === 'MB') return `${v.toFixed(1)} MB`;
  if (metric.unit === 'B') return `${compact(Math.round(v))} B`;
  if (metric.unit === 'µs') return `${v.toFixed(v < 10 ? 1 : 0)} µs`;
  return `${compact(v)}/s`;
}

export function formatTable(rows: Row[], brokers: readonly BrokerName[]): string {
  const others = brokers.filter((b) => b !== 'mqx');
  const header = [
    'scenario',
    'metric',
    ...brokers,
    ...(brokers.includes('mqx') ? others.map((b) => (b === 'sink' ? 'mqx % of sink' : `mqx vs ${b}`)) : []),
    'target',
  ];
  const body = rows.map((r) => [
    r.title,
    r.metric.label,
    ...brokers.map((b) => `${value(r.metric, r.median[b])}${r.failed[b] ? ' FAIL' : ''}`),
    ...(brokers.includes('mqx')
      ? others.map((b) => {
          const a = advantage(r.metric, r.median.mqx, r.median[b]);
          if (a === undefined) return '-';
          return b === 'sink' ? `${(a * 100).toFixed(a < 0.1 ? 1 : 0)}%` : `${a.toFixed(2)}×`;
        })
      : []),
    r.targets.map((t) => `${t.text} ${t.pass === undefined ? '?' : t.pass ? 'ok' : 'MISSED'}`).join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Rows for the table from per-broker medians, with targets evaluated. */
export function buildRows(
  scenarios: Array<{ id: string; title: string; metrics: Metric[] }>,
  medians: Map<string, Partial<Record<BrokerName, Record<string, number>>>>,
  failures: Map<string, Partial<Record<BrokerName, boolean>>>,
  targets: Target[],
): Row[] {
  const rows: Row[] = [];
  for (const s of scenarios) {
    const perBroker = medians.get(s.id) ?? {};
    for (const metric of s.metrics) {
      const median: Partial<Record<BrokerName, number>> = {};
      for (const [b, m] of Object.entries(perBroker) as Array<[BrokerName, Record<string, number>]>) {
        if (m[metric.key] !== undefined && !Number.isNaN(m[metric.key])) median[b] = m[metric.key];
      }
      rows.push({
        scenario: s.id,
        title: s.title,
        metric,
        median,
        failed: failures.get(s.id) ?? {},
        targets: targets
          .filter((t) => t.scenario === s.id && t.metric === metric.key)
          .map((t) => ({ text: t.text, pass: t.check((b) => median[b]) })),
      });
    }
  }
  return rows;
}
