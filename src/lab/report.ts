/**
 * What a lab did, as plain lines: per subscriber, the messages of each topic against what the
 * publishers sent on it, and whether each `expect:` was met. More than was sent is a duplicate.
 */
import type { RunningLab } from './runner.js';

export interface LabReport {
  lines: string[];
  failures: string[];
}

export function labReport(lab: RunningLab): LabReport {
  const sent = new Map<string, number>();
  for (const p of lab.publishers) sent.set(p.spec.topic, (sent.get(p.spec.topic) ?? 0) + p.sent);
  const lines: string[] = [];
  const failures: string[] = [];
  for (const p of lab.publishers)
    lines.push(`publisher ${p.spec.name} on ${p.spec.broker}: ${p.spec.topic} sent ${p.sent}`);
  for (const s of lab.subscribers) {
    const topics = [...new Set([...s.counts.keys(), ...(s.spec.expect?.topics ?? [])])].sort();
    const parts = topics.map((t) => `${t} ${s.counts.get(t) ?? 0} of ${sent.get(t) ?? '?'}`);
    lines.push(`subscriber ${s.spec.name} on ${s.spec.broker}: ${parts.join(', ') || 'nothing'}`);
    for (const t of topics) {
      const got = s.counts.get(t) ?? 0;
      const published = sent.get(t);
      if (published !== undefined && got > published)
        failures.push(`${s.spec.name} got ${got} messages on ${t}, ${published} were sent: duplicates`);
    }
    const expect = s.spec.expect;
    if (expect === undefined) continue;
    const total = [...s.counts.values()].reduce((a, n) => a + n, 0);
    for (const t of expect.topics)
      if ((s.counts.get(t) ?? 0) < Math.max(1, expect.min))
        failures.push(
          `${s.spec.name} expected at least ${Math.max(1, expect.min)} on ${t}, got ${s.counts.get(t) ?? 0}`,
        );
    if (expect.topics.length === 0 && total < expect.min)
      failures.push(`${s.spec.name} expected at least ${expect.min} messages, got ${total}`);
  }
  return { lines, failures };
}
