import { describe, expect, it } from 'vitest';
import {
  Decoder,
  type Packet,
  ProtocolError,
  type ProtocolVersion,
  ReasonCode,
} from '../../src/protocol/index.js';

/*
 * One test per malformation the decoder must reject, each naming the normative statement (5.0
 * numbering for 5.0 streams, 3.1.1 numbering otherwise) or, where the specification states the
 * rule without a statement number, the section.
 */

const {
  MalformedPacket,
  ProtocolError: ProtocolErrorCode,
  UnsupportedProtocolVersion,
  PacketTooLarge,
} = ReasonCode;

type Part = number | number[] | Buffer;

/** Concatenates bytes, arrays of bytes and buffers. */
function bytes(...parts: Part[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p))));
}

/** A length-prefixed MQTT string of raw bytes or of a JS string's UTF-8. */
function str(s: string | number[]): Buffer {
  const body = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
  return bytes([body.length >> 8, body.length & 0xff], body);
}

/** A packet: first byte, remaining length (one byte, so bodies stay under 128), body. */
function packet(first: number, ...body: Part[]): Buffer {
  const b = bytes(...body);
  if (b.length > 127) throw new Error('test packets stay under 128 bytes');
  return bytes(first, b.length, b);
}

function decode(input: Buffer, version: ProtocolVersion, maxPacketSize = 0): Packet[] {
  const out: Packet[] = [];
  new Decoder((p) => out.push(p), { protocolVersion: version, maxPacketSize }).push(input);
  return out;
}

function rejects(input: Buffer, version: ProtocolVersion, reasonCode: number, statement?: string): void {
  let error: unknown;
  try {
    decode(input, version);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ProtocolError);
  const pe = error as ProtocolError;
  expect(pe.reasonCode).toBe(reasonCode);
  if (statement !== undefined) expect(pe.statement).toBe(statement);
}

const connect = (name: string, level: number, flags: number, ...rest: Part[]) =>
  packet(0x10, str(name), level, flags, [0, 60], ...rest);
/** A CONNECT with client id "c", keep alive 0 and first byte `first`; props only for level 5. */
const connectWithFirst = (first: number, name: string, level: number, flags = 0x02) =>
  packet(first, str(name), level, flags, 0, 0, ...(level === 5 ? [0] : []), str('c'));
const connect5 = (flags: number, ...rest: Part[]) => connect('MQTT', 5, flags, 0, ...rest);
const publish = (first: number, topic: Buffer, ...rest: Part[]) => packet(first, topic, ...rest);

describe('fixed header', () => {
  it('[3.1.1 section 2.2.3, 5.0 section 1.5.5] rejects a remaining length longer than 4 bytes', () => {
    rejects(bytes(0x30, 0xff, 0xff, 0xff, 0xff, 0x01), 4, MalformedPacket);
  });

  it('[3.1.1 section 2.2.3] reads the largest remaining length, 268,435,455, and checks it against the maximum packet size', () => {
    expect(() => decode(bytes(0x30, 0xff, 0xff, 0xff, 0x7f), 4, 268_435_459)).toThrow(
      /268435460 bytes exceeds/,
    );
  });

  it('[MQTT-2.2.2-2] rejects reserved flags set on PUBACK (3.1.1)', () => {
    rejects(packet(0x41, 0, 1), 4, MalformedPacket, 'MQTT-2.2.2-2');
  });

  it('[MQTT-2.1.3-1] rejects reserved flags set on PINGREQ (5.0)', () => {
    rejects(packet(0xc8), 5, MalformedPacket, 'MQTT-2.1.3-1');
  });

  it('[MQTT-2.2.2-2] rejects reserved flags on CONNACK, SUBACK, UNSUBACK, PINGRESP, DISCONNECT', () => {
    for (const first of [0x22, 0x94, 0xb1, 0xd2, 0xe1])
      rejects(packet(first), 4, MalformedPacket, 'MQTT-2.2.2-2');
  });

  it('[MQTT-2.2.2-2] [MQTT-2.1.3-1] rejects reserved flags on a 3.1.1 or 5.0 CONNECT, read with its body', () => {
    rejects(connectWithFirst(0x11, 'MQTT', 4), 4, MalformedPacket, 'MQTT-2.2.2-2');
    rejects(connectWithFirst(0x18, 'MQTT', 5, 0), 4, MalformedPacket, 'MQTT-2.1.3-1');
  });

  it('MQTT 3.1 reserves neither the CONNECT fixed-header flags nor connect flag bit 0 (mosquitto accepts both)', () => {
    const [p] = decode(connectWithFirst(0x13, 'MQIsdp', 3, 0x03), 4);
    expect(p).toMatchObject({ type: 'connect', protocolVersion: 3, clean: true, clientId: 'c' });
  });

  it('[MQTT-3.6.1-1] rejects PUBREL whose flags are not 0b0010', () => {
    rejects(packet(0x60, 0, 1), 4, MalformedPacket, 'MQTT-3.6.1-1');
  });

  it('[MQTT-3.8.1-1] rejects SUBSCRIBE whose flags are not 0b0010', () => {
    rejects(packet(0x80, 0, 1, str('a'), 0), 4, MalformedPacket, 'MQTT-3.8.1-1');
  });

  it('[MQTT-3.10.1-1] rejects UNSUBSCRIBE whose flags are not 0b0010', () => {
    rejects(packet(0xa3, 0, 1, str('a')), 5, MalformedPacket, 'MQTT-3.10.1-1');
  });

  it('MQTT 3.1 accepts DUP on a resent SUBSCRIBE (3.1 section 3.8 fixed header)', () => {
    expect(decode(packet(0x8a, 0, 1, str('a'), 0), 3)).toStrictEqual([
      { type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'a', qos: 0 }] },
    ]);
  });

  it('[MQTT-3.3.1-4] rejects PUBLISH with QoS 3', () => {
    rejects(publish(0x36, str('a'), 0, 1), 4, MalformedPacket, 'MQTT-3.3.1-4');
  });

  it('[3.1.1 section 2.2.1] rejects the reserved packet type 0', () => {
    rejects(packet(0x00), 4, MalformedPacket);
  });

  it('[3.1.1 section 2.2.1] rejects AUTH (type 15) outside 5.0', () => {
    rejects(packet(0xf0), 4, MalformedPacket);
  });

  it('[MQTT 5.0 3.2.2.3.6] rejects a packet above the maximum packet size with 0x95', () => {
    let error: unknown;
    try {
      decode(packet(0x30, str('a'), 0, Buffer.from('hello')), 5, 10);
    } catch (e) {
      error = e;
    }
    expect((error as ProtocolError).reasonCode).toBe(PacketTooLarge);
  });
});

describe('direction: packet types only the other side sends (MQTT 5.0 2.1.2)', () => {
  /** Pushes `input` into a decoder for a stream written by `sender`; the error it throws. */
  function fromSender(input: Buffer, sender: 'client' | 'server', version: ProtocolVersion = 5): unknown {
    try {
      new Decoder(() => undefined, { protocolVersion: version, sender }).push(input);
    } catch (e) {
      return e;
    }
    return undefined;
  }

  it('[MQTT-4.13.1-1] a broker reads CONNACK, SUBACK, UNSUBACK, PINGRESP as a Protocol Error from the first byte', () => {
    // Only the fixed header's first byte arrives, and what a body would hold is not even valid.
    for (const first of [0x20, 0x90, 0xb0, 0xd0, 0x2f, 0xd1]) {
      const error = fromSender(Buffer.from([first]), 'client');
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).reasonCode).toBe(ProtocolErrorCode);
    }
    expect((fromSender(Buffer.from([0x20]), 'client', 4) as ProtocolError).statement).toBe('MQTT-4.8.0-1');
  });

  it('[MQTT-4.13.1-1] a client reads CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ as a Protocol Error', () => {
    for (const first of [0x10, 0x82, 0xa2, 0xc0]) {
      expect((fromSender(Buffer.from([first]), 'server') as ProtocolError).reasonCode).toBe(
        ProtocolErrorCode,
      );
    }
  });

  it('each side still reads what it may receive, and a decoder without a direction reads both', () => {
    expect(fromSender(packet(0xc0), 'client')).toBeUndefined();
    expect(fromSender(packet(0xd0), 'server')).toBeUndefined();
    expect(decode(Buffer.concat([packet(0xc0), packet(0xd0)]), 4)).toEqual([
      { type: 'pingreq' },
      { type: 'pingresp' },
    ]);
  });
});

describe('PUBLISH fixed header', () => {
  it('[MQTT-3.3.1-2] rejects a QoS 0 PUBLISH with DUP set in 3.1.1 and 5.0', () => {
    rejects(publish(0x38, str('a')), 4, MalformedPacket, 'MQTT-3.3.1-2');
    rejects(publish(0x38, str('a'), 0), 5, MalformedPacket, 'MQTT-3.3.1-2');
  });

  it('MQTT 3.1, which has no such rule, accepts it', () => {
    expect(decode(publish(0x38, str('a')), 3)).toMatchObject([{ type: 'publish', qos: 0, dup: true }]);
  });
});

describe('packet identifiers', () => {
  it('[MQTT-2.3.1-1] rejects PUBLISH QoS 1 with packet identifier 0', () => {
    rejects(publish(0x32, str('a'), 0, 0), 4, MalformedPacket, 'MQTT-2.3.1-1');
  });

  it('[MQTT-2.2.1-3] rejects SUBSCRIBE with packet identifier 0 (5.0)', () => {
    rejects(packet(0x82, 0, 0, 0, str('a'), 0), 5, MalformedPacket, 'MQTT-2.2.1-3');
  });

  it('[MQTT-2.3.1-1] rejects UNSUBSCRIBE and acknowledgements with packet identifier 0', () => {
    rejects(packet(0xa2, 0, 0, str('a')), 4, MalformedPacket, 'MQTT-2.3.1-1');
    for (const first of [0x40, 0x50, 0x62, 0x70, 0x90, 0xb0]) {
      rejects(packet(first, 0, 0, ...(first === 0x90 ? [0] : [])), 4, MalformedPacket, 'MQTT-2.3.1-1');
    }
  });

  it('[MQTT-2.3.1-1] rejects PUBLISH QoS 2 and PUBACK without a packet identifier', () => {
    rejects(publish(0x34, str('a')), 4, MalformedPacket);
    rejects(packet(0x40, 1), 4, MalformedPacket);
  });
});

describe('UTF-8 strings', () => {
  const cases: Array<[string, number[]]> = [
    ['a byte 0xFF', [0x61, 0xff]],
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf]],
    ['a UTF-16 surrogate U+D800', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a sequence cut short by the end of the string', [0x61, 0xe2, 0x82]],
  ];
  for (const [name, raw] of cases) {
    it(`[MQTT-1.5.4-1] rejects ill-formed UTF-8 in a topic name: ${name}`, () => {
      rejects(publish(0x30, str(raw)), 4, MalformedPacket, 'MQTT-1.5.4-1');
    });
  }

  it('[MQTT-1.5.4-1] rejects ill-formed UTF-8 after non-ASCII characters', () => {
    rejects(publish(0x30, str([0xc3, 0xa9, 0xed, 0xbf, 0xbf])), 4, MalformedPacket, 'MQTT-1.5.4-1');
  });

  it('[MQTT-1.5.4-2] rejects U+0000 in a topic name', () => {
    rejects(publish(0x30, str('a\0b')), 4, MalformedPacket, 'MQTT-1.5.4-2');
  });

  it('[MQTT-1.5.4-2] rejects U+0000 after non-ASCII characters', () => {
    rejects(publish(0x30, str('é\0')), 4, MalformedPacket, 'MQTT-1.5.4-2');
  });

  it('[MQTT-1.5.4-2] rejects U+0000 in a client identifier and a user name', () => {
    rejects(connect('MQTT', 4, 0x02, str('c\0')), 4, MalformedPacket, 'MQTT-1.5.4-2');
    rejects(connect('MQTT', 4, 0x82, str('c'), str('\0')), 4, MalformedPacket, 'MQTT-1.5.4-2');
  });

  it('[MQTT-1.5.4-2] rejects U+0000 in a user property (5.0)', () => {
    rejects(publish(0x30, str('a'), 7, 0x26, str('k'), str('\0')), 5, MalformedPacket, 'MQTT-1.5.4-2');
  });

  it('[MQTT-1.5.4-1] rejects ill-formed UTF-8 in a topic filter', () => {
    rejects(packet(0x82, 0, 1, str([0xff]), 0), 4, MalformedPacket, 'MQTT-1.5.4-1');
  });

  it('[MQTT 5.0 1.5.4] accepts control characters and non-characters, which are only SHOULD NOT', () => {
    expect(decode(publish(0x30, str('\u0001\u007f\u0085\uffff')), 4)).toHaveLength(1);
  });
});

describe('PUBLISH topic names', () => {
  it('[MQTT-3.3.2-2] rejects a topic name with "+" as malformed, not as 0x90 (for correctly formed names)', () => {
    rejects(publish(0x30, str('a/+/b')), 4, MalformedPacket, 'MQTT-3.3.2-2');
  });

  it('[MQTT-3.3.2-2] rejects a topic name with "#" (5.0)', () => {
    rejects(publish(0x30, str('a/#'), 0), 5, MalformedPacket, 'MQTT-3.3.2-2');
  });

  it('[MQTT-4.7.3-1] rejects an empty topic name in 3.1.1', () => {
    rejects(publish(0x30, str('')), 4, MalformedPacket, 'MQTT-4.7.3-1');
  });

  it('[MQTT 5.0 3.3.2.3.4] rejects an empty topic name without a topic alias as a protocol error', () => {
    rejects(publish(0x30, str(''), 0), 5, ProtocolErrorCode);
  });

  it('[MQTT 5.0 3.3.2.3.4] accepts an empty topic name with a topic alias', () => {
    expect(decode(publish(0x30, str(''), 3, 0x23, 0, 1), 5)).toStrictEqual([
      {
        type: 'publish',
        topic: '',
        payload: Buffer.alloc(0),
        qos: 0,
        retain: false,
        dup: false,
        packetId: undefined,
        properties: { topicAlias: 1 },
      },
    ]);
  });

  it('decodes repeated topics, and never mistakes bytes that only look like the last topic', () => {
    const out: Packet[] = [];
    const d = new Decoder((p) => out.push(p), { protocolVersion: 4 });
    // "Ã©" as characters C3 A9, then the two bytes C3 A9: "é" in UTF-8, not the same topic.
    for (const topic of [str('a/b'), str('a/b'), str('a/c'), str('Ã©'), str([0xc3, 0xa9]), str('a/c')])
      d.push(publish(0x30, topic));
    const topics = out.map((p) => (p.type === 'publish' ? p.topic : ''));
    expect(topics).toEqual(['a/b', 'a/b', 'a/c', 'Ã©', 'é', 'a/c']);
  });

  it("runs the receiver's checkTopic once per new topic name, and refuses what it refuses", () => {
    const checked: string[] = [];
    const d = new Decoder(() => undefined, {
      protocolVersion: 4,
      checkTopic: (topic) => {
        checked.push(topic);
        if (topic === 'bad') throw new ProtocolError('refused', ReasonCode.TopicNameInvalid);
      },
    });
    for (const topic of ['a/b', 'a/b', 'a/c', 'a/b']) d.push(publish(0x30, str(topic)));
    expect(checked).toEqual(['a/b', 'a/c', 'a/b']);
    expect(() => d.push(publish(0x30, str('bad')))).toThrow(ProtocolError);
  });

  it('[MQTT-3.3.2-2] checks a wildcard in a topic that follows a repeated one', () => {
    const d = new Decoder(() => undefined, { protocolVersion: 4 });
    d.push(publish(0x30, str('a/b')));
    d.push(publish(0x30, str('a/b')));
    expect(() => d.push(publish(0x30, str('a/#')))).toThrow(ProtocolError);
  });

  it('[MQTT-3.3.2-2] rejects a will topic with a wildcard', () => {
    rejects(connect('MQTT', 4, 0x06, str('c'), str('w/#'), str('')), 4, MalformedPacket, 'MQTT-3.3.2-2');
  });
});

describe('SUBSCRIBE and UNSUBSCRIBE', () => {
  it('[MQTT-3.8.3-3] rejects SUBSCRIBE without topic filters in 3.1.1 as malformed', () => {
    rejects(packet(0x82, 0, 1), 4, MalformedPacket, 'MQTT-3.8.3-3');
  });

  it('[MQTT-3.8.3-2] rejects SUBSCRIBE without topic filters in 5.0 as a protocol error', () => {
    rejects(packet(0x82, 0, 1, 0), 5, ProtocolErrorCode, 'MQTT-3.8.3-2');
  });

  it('[MQTT-3.10.3-2] rejects UNSUBSCRIBE without topic filters (3.1.1 malformed, 5.0 protocol error)', () => {
    rejects(packet(0xa2, 0, 1), 4, MalformedPacket, 'MQTT-3.10.3-2');
    rejects(packet(0xa2, 0, 1, 0), 5, ProtocolErrorCode, 'MQTT-3.10.3-2');
  });

  it('[MQTT-3-8.3-4] rejects a requested QoS of 3 in 3.1.1', () => {
    rejects(packet(0x82, 0, 1, str('a'), 3), 4, MalformedPacket, 'MQTT-3-8.3-4');
  });

  it('[MQTT-3-8.3-4] rejects reserved bits set in the requested QoS byte in 3.1.1', () => {
    rejects(packet(0x82, 0, 1, str('a'), 0x04), 4, MalformedPacket, 'MQTT-3-8.3-4');
  });

  it('[MQTT 5.0 3.8.3.1] rejects a maximum QoS of 3 in 5.0 as a protocol error', () => {
    rejects(packet(0x82, 0, 1, 0, str('a'), 3), 5, ProtocolErrorCode);
  });

  it('[MQTT-3.8.3-5] rejects reserved subscription option bits in 5.0', () => {
    rejects(packet(0x82, 0, 1, 0, str('a'), 0x40), 5, MalformedPacket, 'MQTT-3.8.3-5');
  });

  it('[MQTT 5.0 3.8.3.1] rejects retain handling 3', () => {
    rejects(packet(0x82, 0, 1, 0, str('a'), 0x30), 5, ProtocolErrorCode);
  });

  it('[MQTT-3.8.3-4] rejects No Local on a shared subscription', () => {
    rejects(packet(0x82, 0, 1, 0, str('$share/g/a'), 0x04), 5, ProtocolErrorCode, 'MQTT-3.8.3-4');
  });

  it('[MQTT-4.7.3-1] rejects an empty topic filter', () => {
    rejects(packet(0x82, 0, 1, str(''), 0), 4, MalformedPacket, 'MQTT-4.7.3-1');
    rejects(packet(0xa2, 0, 1, str('')), 4, MalformedPacket, 'MQTT-4.7.3-1');
  });

  it('[3.1.1 section 3.8.3] rejects a topic filter without its options byte', () => {
    rejects(packet(0x82, 0, 1, str('a')), 4, MalformedPacket);
  });

  it('[MQTT-3.9.3-2] rejects a 3.1.1 SUBACK return code other than 0, 1, 2, 0x80', () => {
    rejects(packet(0x90, 0, 1, 3), 4, MalformedPacket, 'MQTT-3.9.3-2');
  });
});

describe('CONNECT', () => {
  it('[MQTT-3.1.2-1] rejects protocol name "MQTT" with level 3 as unsupported protocol version', () => {
    rejects(connect('MQTT', 3, 0x02, str('c')), 4, UnsupportedProtocolVersion, 'MQTT-3.1.2-1');
  });

  it('[MQTT-3.1.2-1] rejects protocol name "MQIsdp" with level 4 and an unknown name', () => {
    rejects(connect('MQIsdp', 4, 0x02, str('c')), 4, UnsupportedProtocolVersion, 'MQTT-3.1.2-1');
    rejects(connect('HTTP', 4, 0x02, str('c')), 4, UnsupportedProtocolVersion, 'MQTT-3.1.2-1');
  });

  it('[MQTT-3.1.2-2] rejects an unknown protocol level with 0x84 so the server can answer CONNACK 0x01 / 0x84', () => {
    rejects(connect('MQTT', 6, 0x02, str('c')), 4, UnsupportedProtocolVersion, 'MQTT-3.1.2-2');
    rejects(connect('MQTT', 0x86, 0x02, str('c')), 4, UnsupportedProtocolVersion, 'MQTT-3.1.2-2');
  });

  it('[mosquitto try_private] reads level bit 0x80 as a bridge announcing itself', () => {
    expect(decode(connect('MQTT', 0x84, 0x02, str('c')), 4)).toStrictEqual([
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        bridge: true,
        clean: true,
        keepalive: 60,
        clientId: 'c',
      },
    ]);
  });

  it('[MQTT-3.1.2-3] rejects the reserved connect flag', () => {
    rejects(connect('MQTT', 4, 0x03, str('c')), 4, MalformedPacket, 'MQTT-3.1.2-3');
  });

  it('[MQTT-3.1.2-13] rejects will QoS without will flag (3.1.1)', () => {
    rejects(connect('MQTT', 4, 0x0a, str('c')), 4, MalformedPacket, 'MQTT-3.1.2-13');
  });

  it('[MQTT-3.1.2-11] rejects will QoS without will flag (5.0)', () => {
    rejects(connect5(0x0a, str('c')), 5, MalformedPacket, 'MQTT-3.1.2-11');
  });

  it('[MQTT-3.1.2-15] rejects will retain without will flag (3.1.1)', () => {
    rejects(connect('MQTT', 4, 0x22, str('c')), 4, MalformedPacket, 'MQTT-3.1.2-15');
  });

  it('[MQTT-3.1.2-13] rejects will retain without will flag (5.0)', () => {
    rejects(connect5(0x22, str('c')), 5, MalformedPacket, 'MQTT-3.1.2-13');
  });

  it('[MQTT-3.1.2-14] rejects will QoS 3 (3.1.1)', () => {
    rejects(connect('MQTT', 4, 0x1e, str('c'), str('w'), str('')), 4, MalformedPacket, 'MQTT-3.1.2-14');
  });

  it('[MQTT-3.1.2-12] rejects will QoS 3 (5.0)', () => {
    rejects(connect5(0x1e, str('c'), 0, str('w'), str('')), 5, MalformedPacket, 'MQTT-3.1.2-12');
  });

  it('[MQTT-3.1.2-22] rejects a password flag without user name flag in 3.1.1', () => {
    rejects(connect('MQTT', 4, 0x42, str('c'), str('p')), 4, MalformedPacket, 'MQTT-3.1.2-22');
  });

  it('[MQTT 5.0 3.1.2.9] accepts a password without a user name in 5.0', () => {
    expect(decode(connect5(0x42, str('c'), str('p')), 5)).toStrictEqual([
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 5,
        bridge: false,
        clean: true,
        keepalive: 60,
        clientId: 'c',
        password: Buffer.from('p'),
      },
    ]);
  });

  it('[MQTT-3.1.2-9] rejects a CONNECT whose will flag promises fields that are missing', () => {
    rejects(connect('MQTT', 4, 0x06, str('c')), 4, MalformedPacket);
  });
});

describe('packet length', () => {
  it('[3.1.1 section 2.2.3] rejects a CONNECT shorter than its fields require', () => {
    rejects(packet(0x10, str('MQTT'), 4, 0x02, 0), 4, MalformedPacket);
  });

  it('[3.1.1 section 2.2.3] rejects a string whose length runs past the remaining length', () => {
    rejects(packet(0x30, 0, 5, 0x61), 4, MalformedPacket);
  });

  it('[3.1.1 section 3.4.1] rejects trailing bytes inside a 3.1.1 PUBACK', () => {
    rejects(packet(0x40, 0, 1, 0), 4, MalformedPacket);
  });

  it('[3.1.1 sections 3.12.1, 3.14.1] rejects PINGREQ and DISCONNECT with a nonzero remaining length', () => {
    rejects(packet(0xc0, 0), 4, MalformedPacket);
    rejects(packet(0xe0, 0), 4, MalformedPacket);
    rejects(packet(0xc0, 0), 5, MalformedPacket);
  });

  it('[3.1.1 section 3.1] rejects trailing bytes after the last CONNECT field', () => {
    rejects(connect('MQTT', 4, 0x02, str('c'), 0), 4, MalformedPacket);
  });

  it('[3.1.1 section 3.2] rejects a CONNACK longer than 2 bytes in 3.1.1', () => {
    rejects(packet(0x20, 0, 0, 0), 4, MalformedPacket);
  });

  it('[MQTT 5.0 3.2.2.1, 3.1.1 3.2.2.1] rejects reserved CONNACK acknowledge flags', () => {
    rejects(packet(0x20, 2, 0, 0), 5, MalformedPacket);
    rejects(packet(0x20, 0x80, 0), 4, MalformedPacket);
  });

  it('[MQTT 5.0 2.2.2.1] rejects a property length that runs past the packet', () => {
    rejects(packet(0x40, 0, 1, 0, 5, 0x1f), 5, MalformedPacket);
  });
});

describe('MQTT 5.0 properties', () => {
  it('[MQTT 5.0 2.2.2.2] rejects a property the packet may not carry as malformed', () => {
    rejects(publish(0x30, str('a'), 4, 0x1f, str('r')), 5, MalformedPacket);
    rejects(packet(0x10, str('MQTT'), 5, 0x02, [0, 60], 3, 0x23, 0, 1, str('c')), 5, MalformedPacket);
  });

  it('[MQTT 5.0 2.2.2.1] rejects a property value that runs past the property length', () => {
    rejects(publish(0x30, str('a'), 3, 0x02, 0, 0, 0, 0, 0x61), 5, MalformedPacket);
    rejects(publish(0x30, str('a'), 3, 0x03, 0, 2, 0x61, 0x62), 5, MalformedPacket);
  });

  it('[MQTT 5.0 2.2.2.2] rejects an unknown property identifier', () => {
    rejects(packet(0x40, 0, 1, 0, 2, 0x7f, 0), 5, MalformedPacket);
  });

  it('[MQTT 5.0 2.2.2.2] rejects a will property outside the will (Will Delay Interval in CONNECT)', () => {
    rejects(packet(0x10, str('MQTT'), 5, 0x02, [0, 60], 5, 0x18, 0, 0, 0, 1, str('c')), 5, MalformedPacket);
  });

  it('[MQTT 5.0 3.3.2.3.9] rejects Content Type given twice as a protocol error', () => {
    rejects(publish(0x30, str('a'), 8, 0x03, str('x'), 0x03, str('y')), 5, ProtocolErrorCode);
  });

  it('[MQTT 5.0 3.8.2.1.2] rejects two Subscription Identifiers in SUBSCRIBE', () => {
    rejects(packet(0x82, 0, 1, 4, 0x0b, 1, 0x0b, 2, str('a'), 0), 5, ProtocolErrorCode);
  });

  it('[MQTT 5.0 3.3.2.3.8] accepts several Subscription Identifiers and repeated User Properties in PUBLISH', () => {
    const [p] = decode(
      publish(0x30, str('a'), 16, 0x0b, 1, 0x0b, 2, 0x26, str('k'), str(''), 0x26, str('k'), str('')),
      5,
    );
    expect(p).toMatchObject({
      properties: {
        subscriptionIdentifiers: [1, 2],
        userProperties: [
          ['k', ''],
          ['k', ''],
        ],
      },
    });
  });

  it('[MQTT 5.0 3.8.2.1.2] rejects Subscription Identifier 0 as a protocol error', () => {
    rejects(packet(0x82, 0, 1, 2, 0x0b, 0, str('a'), 0), 5, ProtocolErrorCode);
  });

  it('[MQTT 5.0 3.1.2.11.3] rejects Receive Maximum 0 as a protocol error', () => {
    rejects(packet(0x10, str('MQTT'), 5, 0x02, [0, 60], 3, 0x21, 0, 0, str('c')), 5, ProtocolErrorCode);
  });

  it('[MQTT 5.0 3.2.2.3.4] rejects Maximum QoS 2 as a protocol error', () => {
    rejects(packet(0x20, 0, 0, 2, 0x24, 2), 5, ProtocolErrorCode);
  });

  it('[MQTT-3.3.2-8] rejects Topic Alias 0 as a protocol error', () => {
    rejects(publish(0x30, str('a'), 3, 0x23, 0, 0), 5, ProtocolErrorCode);
  });

  it('[MQTT 5.0 1.5.5] rejects a property identifier longer than 4 bytes', () => {
    rejects(packet(0x40, 0, 1, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x01), 5, MalformedPacket);
  });
});
