import { describe, expect, it } from 'vitest';
import { nowMs } from '../../src/loadgen/clock.js';
import type { BenchConnection, ConnectionHandlers } from '../../src/loadgen/connection.js';
import { PublishTemplate } from '../../src/loadgen/packets.js';
import { readStamp } from '../../src/loadgen/payload.js';
import { Publisher, type PublisherOptions } from '../../src/loadgen/publisher.js';

const PAYLOAD = 32;

/** Records every write with the moment it happened; acks only when the test says so. */
class FakeConnection {
  handlers!: ConnectionHandlers;
  receiveMaximum = 0xffff;
  closed = false;
  readonly writes: Array<{ at: number; bytes: Buffer }> = [];
  write(bytes: Buffer): boolean {
    this.writes.push({ at: nowMs(), bytes: Buffer.from(bytes) });
    return true;
  }
  drained(): Promise<void> {
    return new Promise(() => undefined);
  }
  flushed(): Promise<void> {
    return Promise.resolve();
  }
  /** Answered when the test calls pong(). */
  roundTrip(): Promise<void> {
    return new Promise((resolve) => {
      this.pong = resolve;
    });
  }
  pong: () => void = () => undefined;
}

/** Each message sent: its sequence number, the time it carries and when it was written. */
function sent(conn: FakeConnection, template: PublishTemplate) {
  return conn.writes.flatMap(({ at, bytes }) => {
    const out = [];
    for (let o = 0; o < bytes.length; o += template.length) {
      const payload = bytes.subarray(o + template.length - PAYLOAD, o + template.length);
      const stamp = readStamp(payload)!;
      out.push({ seq: stamp.seq, stampedAt: stamp.sentAt, writtenAt: at });
    }
    return out;
  });
}

function publisher(qos: 0 | 1, o: Partial<PublisherOptions>) {
  const conn = new FakeConnection();
  const template = new PublishTemplate('t', PAYLOAD, qos, false, 4);
  const options = { publisherId: 0, qos, limit: 20, inflight: 1000, batch: 256, ...o };
  const p = new Publisher(conn as unknown as BenchConnection, template, options);
  return { conn, template, p };
}

function stall(ms: number): void {
  const until = nowMs() + ms;
  while (nowMs() < until);
}

describe('Publisher at a fixed rate', () => {
  it('stamps message k with start + k / rate even when the sender was held up', async () => {
    const { conn, template, p } = publisher(0, { rate: 1000, limit: 30 });
    p.start();
    const start = sent(conn, template)[0]!.stampedAt;
    stall(20);
    await p.done;
    const messages = sent(conn, template);
    expect(messages.map((m) => m.seq)).toEqual([...Array(30).keys()]);
    for (const m of messages) {
      expect(m.stampedAt - start).toBeCloseTo(m.seq, 3);
      expect(m.writtenAt).toBeGreaterThanOrEqual(m.stampedAt);
    }
    // The messages due during the stall left after it, and carry the time they were due.
    expect(messages[1]!.writtenAt - messages[1]!.stampedAt).toBeGreaterThanOrEqual(18);
  });

  it('counts the time spent waiting for a full QoS 1 window', async () => {
    const { conn, template, p } = publisher(1, { rate: 1000, limit: 10, inflight: 2 });
    p.start();
    await new Promise((r) => setTimeout(r, 30));
    expect(sent(conn, template)).toHaveLength(2);
    for (let id = 1; id <= 10; id++) {
      conn.handlers.complete(id, false);
      conn.handlers.turn();
      await new Promise((r) => setImmediate(r));
    }
    await p.done;
    const messages = sent(conn, template);
    const start = messages[0]!.stampedAt;
    expect(messages.map((m) => m.seq)).toEqual([...Array(10).keys()]);
    for (const m of messages) expect(m.stampedAt - start).toBeCloseTo(m.seq, 3);
    expect(messages[9]!.writtenAt - messages[9]!.stampedAt).toBeGreaterThanOrEqual(15);
  });

  it('paced precisely, sends the same schedule and stops spinning when done', async () => {
    const { conn, template, p } = publisher(0, { rate: 5000, limit: 100, precise: true });
    p.start();
    await p.done;
    const messages = sent(conn, template);
    const start = messages[0]!.stampedAt;
    expect(messages.map((m) => m.seq)).toEqual([...Array(100).keys()]);
    for (const m of messages) expect(m.stampedAt - start).toBeCloseTo(m.seq / 5, 3);
    const writes = conn.writes.length;
    await new Promise((r) => setTimeout(r, 5));
    expect(conn.writes).toHaveLength(writes);
  });

  it('without a rate, stamps the moment of sending: there is no schedule to miss', async () => {
    const { conn, template, p } = publisher(0, { limit: 5 });
    p.start();
    await p.done;
    for (const m of sent(conn, template)) expect(m.stampedAt).toBeLessThanOrEqual(m.writtenAt);
  });

  it('at QoS 0 with confirmQos0, is done only when the broker has answered the last round trip', async () => {
    const { conn, p } = publisher(0, { limit: 5, confirmQos0: true });
    let done = false;
    p.done.then(() => {
      done = true;
    });
    p.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    conn.pong();
    await p.done;
    expect(p.sent).toBe(5);
  });
});

describe('Publisher without a rate', () => {
  it('lets I/O run between batches even when every write drains at once', async () => {
    const { conn, p } = publisher(0, { limit: 100, batch: 10 });
    // A socket whose OS buffer takes everything: each write reports backpressure, then drains.
    conn.write = (bytes: Buffer) => {
      conn.writes.push({ at: nowMs(), bytes: Buffer.from(bytes) });
      return false;
    };
    conn.drained = () => Promise.resolve();
    let writesBeforeIo = -1;
    setImmediate(() => {
      writesBeforeIo = conn.writes.length;
    });
    p.start();
    await p.done;
    expect(conn.writes).toHaveLength(10);
    expect(writesBeforeIo).toBeGreaterThan(0);
    expect(writesBeforeIo).toBeLessThan(10);
  });
});
