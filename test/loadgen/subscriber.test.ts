import { describe, expect, it } from 'vitest';
import { nowMs } from '../../src/loadgen/clock.js';
import type { BenchConnection, ConnectionHandlers } from '../../src/loadgen/connection.js';
import { LatencyHistogram } from '../../src/loadgen/histogram.js';
import { blankPayload, stampPayload } from '../../src/loadgen/payload.js';
import { Subscriber } from '../../src/loadgen/subscriber.js';
import type { PublishPacket } from '../../src/protocol/types.js';

function delivery(seq: number, sentAt: number): PublishPacket {
  const payload = blankPayload(32);
  stampPayload(payload, 0, 0, seq, sentAt);
  return { type: 'publish', topic: 't', payload, qos: 0, retain: false, dup: false };
}

describe('Subscriber', () => {
  it('counts and checks every delivery but times only those due from recordFrom on', () => {
    const conn = { handlers: undefined as unknown as ConnectionHandlers };
    const histogram = new LatencyHistogram();
    const sub = new Subscriber(conn as unknown as BenchConnection, 't', histogram);
    const start = nowMs() - 100;
    sub.recordFrom = start + 50;
    for (let seq = 0; seq < 100; seq++) conn.handlers.publish(delivery(seq, start + seq), nowMs());
    expect(sub.received).toBe(100);
    expect(sub.checker.report(new Map([[0, 100]]))).toMatchObject({ lost: 0, duplicates: 0, reordered: 0 });
    expect(histogram.count).toBe(50);
  });
});
