/**
 * The lab on a terminal, redrawn every second: each broker with its clients and message rates,
 * each bridge with its state and per-rule counts, each subscriber's last messages. Rates are the
 * differences of the brokers' PUBLISH counters between two frames.
 */

import { ruleText } from './graph.js';
import type { RunningLab } from './runner.js';

const pad = (s: string | number, n: number) => {
  const text = String(s);
  return text.length >= n ? `${text.slice(0, n - 1)} ` : text + ' '.repeat(n - text.length);
};

const clock = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

export class LiveView {
  private previous = new Map<string, { in: number; out: number; at: number }>();
  private readonly started = Date.now();

  constructor(
    private readonly lab: RunningLab,
    private readonly width = 100,
  ) {}

  /** One frame, as lines no wider than the view. */
  frame(now = Date.now()): string[] {
    const { lab } = this;
    const lines = [
      `mqx up: ${lab.plan.lab.source}   running ${clock(now - this.started)}   Ctrl-C stops everything`,
      '',
      `${pad('BROKER', 18)}${pad('port', 8)}${pad('clients', 9)}${pad('in/s', 8)}${pad('out/s', 8)}copies`,
    ];
    for (const { planned, broker } of lab.brokers) {
      const stats = broker.stats;
      const before = this.previous.get(planned.name);
      const seconds = before === undefined ? 0 : (now - before.at) / 1000;
      const rate = (total: number, old: number | undefined) =>
        seconds > 0 && old !== undefined ? ((total - old) / seconds).toFixed(1) : '-';
      lines.push(
        `${pad(planned.name, 18)}${pad(planned.port, 8)}${pad(broker.connectedCount, 9)}${pad(rate(stats.publishReceived, before?.in), 8)}${pad(rate(stats.publishSent, before?.out), 8)}${broker.bridgeHooks?.copies ?? 0}`,
      );
      this.previous.set(planned.name, { in: stats.publishReceived, out: stats.publishSent, at: now });
    }
    lines.push(
      '',
      `${pad('BRIDGE', 18)}${pad('route', 24)}${pad('state', 12)}${pad('rule', 22)}${pad('out', 7)}in`,
    );
    for (const { planned, broker } of lab.brokers) {
      for (const bridge of broker.bridges?.bridges.values() ?? []) {
        const to = lab.plan.bridges.find((b) => b.from === planned.name && b.name === bridge.name)?.to ?? '?';
        bridge.config.topics.forEach((rule, i) => {
          const head =
            i === 0
              ? `${pad(bridge.name, 18)}${pad(`${planned.name} -> ${to}`, 24)}${pad(bridge.remote ? 'connected' : 'down', 12)}`
              : ' '.repeat(54);
          lines.push(
            `${head}${pad(ruleText(rule), 22)}${pad(bridge.forwardedOut[i]!, 7)}${bridge.forwardedIn[i]}`,
          );
        });
      }
    }
    for (const { from, to, bridge } of lab.standalone) {
      const state = bridge.state.local && bridge.state.remote ? 'connected' : 'down';
      bridge.config.topics.forEach((rule, i) => {
        const head =
          i === 0
            ? `${pad(bridge.config.name, 18)}${pad(`${from} => ${to}`, 24)}${pad(state, 12)}`
            : ' '.repeat(54);
        lines.push(
          `${head}${pad(ruleText(rule), 22)}${pad(bridge.forwardedOut[i]!, 7)}${bridge.forwardedIn[i]}`,
        );
      });
    }
    lines.push('', `${pad('SUBSCRIBER', 18)}${pad('broker', 12)}${pad('msgs', 7)}last`);
    for (const s of lab.subscribers) {
      const total = [...s.counts.values()].reduce((a, n) => a + n, 0);
      const [first, ...rest] = s.last;
      const show = (m: { topic: string; payload: string } | undefined) =>
        m ? `${m.topic}  ${m.payload}` : '';
      lines.push(`${pad(s.spec.name, 18)}${pad(s.spec.broker, 12)}${pad(total, 7)}${show(first)}`);
      for (const m of rest) lines.push(`${' '.repeat(37)}${show(m)}`);
    }
    return lines.map((l) => l.slice(0, this.width));
  }
}
