import { describe, expect, it } from 'vitest';
import { PublishTemplate } from '../../src/loadgen/packets.js';
import { blankPayload, PAYLOAD_HEADER_SIZE, readStamp, stampPayload } from '../../src/loadgen/payload.js';
import { Decoder } from '../../src/protocol/decoder.js';
import type { Packet, PublishPacket } from '../../src/protocol/types.js';

function decodeAll(buf: Buffer, version: 4 | 5 = 4): Packet[] {
  const out: Packet[] = [];
  new Decoder((p) => out.push(p), { protocolVersion: version }).push(buf);
  return out;
}

describe('bench payload', () => {
  it('round-trips a stamp (publisher, sequence, send time)', () => {
    const p = blankPayload(64);
    stampPayload(p, 0, 42, 123_456, 1_700_000_000_123.456);
    expect(readStamp(p)).toEqual({ publisher: 42, seq: 123_456, sentAt: 1_700_000_000_123.456 });
  });

  it('does not mistake a foreign payload for a stamped one', () => {
    expect(readStamp(Buffer.from('temperature: 23 and some more bytes'))).toBeUndefined();
    expect(readStamp(Buffer.alloc(4))).toBeUndefined();
  });

  it('refuses a size smaller than the stamp', () => {
    expect(() => blankPayload(PAYLOAD_HEADER_SIZE - 1)).toThrow(RangeError);
  });
});

describe('PublishTemplate', () => {
  it('patches packet id and stamp per message into copies that decode as valid PUBLISHes', () => {
    const t = new PublishTemplate('bench/3', 32, 1, false, 4);
    const batch = Buffer.alloc(t.length * 3);
    for (let i = 0; i < 3; i++) t.writeInto(batch, i * t.length, 100 + i, 3, i, 1000 + i);
    const packets = decodeAll(batch) as PublishPacket[];
    expect(packets.map((p) => [p.topic, p.qos, p.packetId, p.payload.length])).toEqual([
      ['bench/3', 1, 100, 32],
      ['bench/3', 1, 101, 32],
      ['bench/3', 1, 102, 32],
    ]);
    expect(packets.map((p) => readStamp(p.payload))).toEqual([
      { publisher: 3, seq: 0, sentAt: 1000 },
      { publisher: 3, seq: 1, sentAt: 1001 },
      { publisher: 3, seq: 2, sentAt: 1002 },
    ]);
  });

  it('leaves the template itself untouched (it is copied, not patched in place)', () => {
    const t = new PublishTemplate('t', 20, 2, true, 5);
    const before = Buffer.from(t.packet);
    t.writeInto(Buffer.alloc(t.length), 0, 9, 1, 1, 1);
    expect(t.packet.equals(before)).toBe(true);
  });

  it('encodes QoS 0 without a packet id and keeps the retain flag (MQTT 5.0)', () => {
    const t = new PublishTemplate('r/1', 24, 0, true, 5);
    const buf = Buffer.alloc(t.length);
    t.writeInto(buf, 0, 0, 1, 5, 2);
    const [p] = decodeAll(buf, 5) as PublishPacket[];
    expect(p).toMatchObject({ topic: 'r/1', qos: 0, retain: true });
    expect(p!.packetId).toBeUndefined();
    expect(readStamp(p!.payload)).toMatchObject({ publisher: 1, seq: 5 });
  });
});
