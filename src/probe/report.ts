/** `mqx test`'s output: a table for people, or the report as one JSON object. */
import type { LimitReport, ProbeReport } from './context.js';

function value(v: unknown): string {
  if (v === null || v === undefined) return 'unknown';
  if (v === true) return 'yes';
  if (v === false) return 'no';
  return String(v);
}

function limit(l: LimitReport | null, unit: string): string {
  if (!l || l.value === null) return 'unknown';
  return `${l.exact ? '' : '≥ '}${l.value} ${unit}`;
}

export function reportRows(r: ProbeReport): Array<[string, string, string]> {
  const how = (key: string) => r.found[key] ?? '';
  const versions = Object.entries(r.protocols)
    .filter(([, ok]) => ok)
    .map(([v]) => v);
  return [
    ['protocols', versions.join(', ') || 'none', how('protocols')],
    ['maximum QoS', value(r.maxQos), how('maxQos')],
    ['retained messages', value(r.retain), how('retain')],
    ['wildcards', value(r.wildcards), how('wildcards')],
    ['shared subscriptions', value(r.sharedSubscriptions), how('sharedSubscriptions')],
    ['subscription identifiers', value(r.subscriptionIdentifiers), how('subscriptionIdentifiers')],
    ['topic alias maximum', value(r.topicAliasMaximum), how('topicAliasMaximum')],
    ['receive maximum', value(r.receiveMaximum), how('receiveMaximum')],
    [
      'maximum packet size',
      r.maximumPacketSize === null ? 'no limit found' : `${r.maximumPacketSize} bytes`,
      how('maximumPacketSize'),
    ],
    [
      'server keep alive',
      r.serverKeepAlive === null ? 'not set' : `${r.serverKeepAlive} s`,
      how('serverKeepAlive'),
    ],
    ['session kept', value(r.sessionExpiry), how('sessionExpiry')],
    ['offline queuing', value(r.offlineQueue), how('offlineQueue')],
    ['wills', value(r.will), how('will')],
    ['will delay', value(r.willDelay), how('willDelay')],
    ['$SYS topics', value(r.sys), how('sys')],
    ['longest topic', limit(r.limits.topicLength, 'bytes'), how('topicLength')],
    ['deepest topic', limit(r.limits.topicDepth, 'levels'), how('topicDepth')],
    ['largest payload', limit(r.limits.payload, 'bytes'), how('payload')],
  ];
}

export function formatTable(r: ProbeReport, bold: (s: string) => string = (s) => s): string {
  const rows = reportRows(r);
  const w0 = Math.max(...rows.map((row) => row[0].length));
  const w1 = Math.max(...rows.map((row) => row[1].length));
  const lines = rows.map(([k, v, h]) => `${k.padEnd(w0)}  ${bold(v.padEnd(w1))}  ${h}`);
  return `${r.broker} (probed in ${(r.durationMs / 1000).toFixed(1)} s)\n${lines.join('\n')}\n`;
}
