/**
 * How a bench run reads: a live status line for a terminal and the final summary as text. The
 * --json form is the BenchSummary object itself.
 */
import type { BenchSummary, LiveCounters } from './load.js';

/** 1234567 → "1.23M", 45210 → "45.2k": rates read at a glance. */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export interface LiveSample {
  at: number;
  published: number;
  received: number;
}

/** One status line from two samples `seconds` apart. */
export function liveLine(now: LiveCounters, before: LiveSample, at: number): string {
  const dt = Math.max(1e-3, (at - before.at) / 1000);
  if (now.phase === 'connecting') {
    return `connecting: ${now.connect.connected} connected, ${now.connect.failed} failed`;
  }
  const pubRate = (now.published - before.published) / dt;
  const recvRate = (now.received - before.received) / dt;
  return (
    `${now.phase}: pub ${compact(pubRate)}/s (${compact(now.published)})  ` +
    `recv ${compact(recvRate)}/s (${compact(now.received)})  ` +
    `conns ${now.connect.connected}  errors ${now.errors + now.connect.failed}`
  );
}

const ms = (v: number) => `${v < 10 ? v.toFixed(3) : v.toFixed(1)} ms`;

export function formatSummary(s: BenchSummary): string {
  const version = `MQTT ${s.protocolVersion === 5 ? '5.0' : s.protocolVersion === 4 ? '3.1.1' : '3.1'}`;
  const details = s.mode === 'conn' ? version : `${version}, QoS ${s.qos}, ${s.payloadSize} B payload`;
  const lines = [
    `mqx bench ${s.mode} against ${s.broker} (${details})`,
    `  connections   ${s.connections.connected}/${s.connections.requested} in ${s.connections.seconds.toFixed(2)} s (${compact(s.connections.perSecond)}/s), ${s.connections.failed} failed`,
  ];
  if (s.mode === 'pub' || s.mode === 'pubsub') {
    lines.push(`  published     ${s.published} (${compact(s.publishedPerSecond)} msg/s)`);
  }
  if (s.mode === 'sub' || s.mode === 'pubsub') {
    lines.push(`  received      ${s.received} (${compact(s.receivedPerSecond)} msg/s)`);
    lines.push(`  lost ${s.lost}, duplicated ${s.duplicates}, reordered ${s.reordered}`);
  }
  if (s.latencyMs !== undefined && s.latencyMs.count > 0) {
    const l = s.latencyMs;
    lines.push(
      `  latency       p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}`,
    );
  }
  lines.push(`  time          ${s.seconds.toFixed(2)} s`);
  lines.push(`  errors        ${s.errors}`);
  for (const e of s.errorMessages) lines.push(`    ${e}`);
  return `${lines.join('\n')}\n`;
}
