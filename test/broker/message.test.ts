import { describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { encodeSharedHeader, entryBytes } from '../../src/broker/write-batch.js';
import { encode } from '../../src/protocol/encoder.js';

const message = () => new Message('a/b', Buffer.from('hi'), 1, false, undefined, 0, '', false);
const NOW = Date.now();

describe('Message.header', () => {
  it('is shared by the deliveries made while it is kept, per variant, until forgetHeaders', () => {
    const m = message();
    const first = m.header(4, 1, false, NOW, true, encodeSharedHeader);
    expect(m.header(4, 1, false, NOW, true, encodeSharedHeader)).toBe(first);
    const qos0 = m.header(4, 0, false, NOW, true, encodeSharedHeader);
    expect(qos0).not.toBe(first);
    expect(m.header(4, 1, false, NOW, true, encodeSharedHeader)).toBe(first);
    expect(m.header(4, 0, false, NOW, true, encodeSharedHeader)).toBe(qos0);
    m.forgetHeaders();
    expect(m.header(4, 1, false, NOW, true, encodeSharedHeader)).not.toBe(first);
  });

  it('is not kept when the delivery is not part of routing the message', () => {
    const m = message();
    const once = m.header(4, 1, false, NOW, false, encodeSharedHeader);
    const again = m.header(4, 1, false, NOW, false, encodeSharedHeader);
    expect(again).not.toBe(once);
    expect(entryBytes(again.header)).toEqual(entryBytes(once.header));
  });

  it('at QoS 1 is the packet without its packet id and payload, in 3.1.1 and 5.0', () => {
    const m = message();
    for (const version of [4, 5] as const) {
      const { header, afterPacketId } = m.header(version, 1, false, NOW, false, encodeSharedHeader);
      const whole = encode(
        {
          type: 'publish',
          topic: 'a/b',
          payload: Buffer.from('hi'),
          qos: 1,
          retain: false,
          dup: false,
          packetId: 258,
        },
        version,
      );
      const id = Buffer.from([1, 2]);
      expect(
        Buffer.concat([entryBytes(header), id, ...(afterPacketId ? [afterPacketId] : []), Buffer.from('hi')]),
      ).toEqual(whole);
    }
  });

  it('is staged bytes when small, and a Buffer of its own when its topic is long', () => {
    const long = 'x'.repeat(300);
    const short = message().header(4, 0, true, NOW, false, encodeSharedHeader).header;
    const own = new Message(long, Buffer.from('hi'), 0, true, undefined, 0, '', false).header(
      4,
      0,
      true,
      NOW,
      false,
      encodeSharedHeader,
    ).header;
    expect(typeof short).toBe('number');
    expect(Buffer.isBuffer(own)).toBe(true);
    const packet = (topic: string) =>
      encode({ type: 'publish', topic, payload: Buffer.from('hi'), qos: 0, retain: true, dup: false }, 4);
    expect(Buffer.concat([entryBytes(short), Buffer.from('hi')])).toEqual(packet('a/b'));
    expect(Buffer.concat([entryBytes(own), Buffer.from('hi')])).toEqual(packet(long));
  });
});
