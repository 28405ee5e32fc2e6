import { describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { encodeSharedHeader, entryBytes } from '../../src/broker/write-batch.js';
import { encode } from '../../src/protocol/encoder.js';

const message = () => new Message('a/b', Buffer.from('hi'), 1, false, undefined, 0, '', false);
const NOW = Date.now();

describe('Message.header', () => {
  // A header encoded anew is staged anew: another entry, with the same bytes.
  it('is shared by the deliveries made while it is kept, per variant, until forgetHeaders', () => {
    const m = message();
    const first = m.header(4, 1, false, NOW, true, encodeSharedHeader).header;
    expect(m.header(4, 1, false, NOW, true, encodeSharedHeader).header).toBe(first);
    const qos0 = m.header(4, 0, false, NOW, true, encodeSharedHeader).header;
    expect(qos0).not.toBe(first);
    expect(m.header(4, 1, false, NOW, true, encodeSharedHeader).header).toBe(first);
    expect(m.header(4, 0, false, NOW, true, encodeSharedHeader).header).toBe(qos0);
    m.forgetHeaders();
    const after = m.header(4, 1, false, NOW, true, encodeSharedHeader).header;
    expect(after).not.toBe(first);
    expect(entryBytes(after)).toEqual(entryBytes(first));
  });

  it('is not kept when the delivery is not part of routing the message', () => {
    const m = message();
    const once = m.header(4, 1, false, NOW, false, encodeSharedHeader).header;
    const again = m.header(4, 1, false, NOW, false, encodeSharedHeader).header;
    expect(again).not.toBe(once);
    expect(entryBytes(again)).toEqual(entryBytes(once));
  });

  it('of a message routed while another is, is its own, and the other encodes its again', () => {
    const outer = message();
    const inner = new Message('c/d', Buffer.from('yo'), 1, false, undefined, 0, 'p', false);
    const before = outer.header(4, 1, false, NOW, true, encodeSharedHeader).header;
    const nested = inner.header(4, 1, false, NOW, true, encodeSharedHeader).header;
    inner.forgetHeaders();
    const resumed = outer.header(4, 1, false, NOW, true, encodeSharedHeader).header;
    expect(entryBytes(nested)).not.toEqual(entryBytes(before));
    expect(resumed).not.toBe(before);
    expect(entryBytes(resumed)).toEqual(entryBytes(before));
  });

  it('forgotten by one message stays with the other messages that own a variant', () => {
    const outer = message();
    const inner = new Message('c/d', Buffer.from('yo'), 1, false, undefined, 0, 'p', false);
    const outerQos0 = outer.header(4, 0, false, NOW, true, encodeSharedHeader).header;
    const innerQos1 = inner.header(4, 1, false, NOW, true, encodeSharedHeader).header;
    inner.forgetHeaders();
    expect(outer.header(4, 0, false, NOW, true, encodeSharedHeader).header).toBe(outerQos0);
    expect(inner.header(4, 1, false, NOW, true, encodeSharedHeader).header).not.toBe(innerQos1);
    outer.forgetHeaders();
    expect(outer.header(4, 0, false, NOW, true, encodeSharedHeader).header).not.toBe(outerQos0);
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
