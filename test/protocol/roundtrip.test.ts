import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodePublishAfterPacketId,
  measurePublishStart,
  writePublishStartAt,
} from '../../src/protocol/encoder.js';
import {
  Decoder,
  DecoderRules,
  encode,
  encodePublishHeader,
  type Packet,
  ProtocolError,
  type ProtocolVersion,
  type PublishPacket,
  ReasonCode,
  writePacketId,
} from '../../src/protocol/index.js';
import { packetArbitraries, packetArbitrary, packetTypes, VERSIONS } from './arbitraries.js';

function decodeChunks(chunks: Buffer[], version: ProtocolVersion): Packet[] {
  const out: Packet[] = [];
  const decoder = new Decoder((p) => out.push(p), { protocolVersion: version });
  for (const chunk of chunks) decoder.push(chunk);
  return out;
}

const decodeAll = (bytes: Buffer, version: ProtocolVersion) => decodeChunks([bytes], version);

describe('decode(encode(p)) = p for every packet type and protocol version', () => {
  for (const version of VERSIONS) {
    const arbs = packetArbitraries(version);
    for (const type of packetTypes(version)) {
      it(`${type} in level ${version}`, () => {
        fc.assert(
          fc.property(arbs[type], (packet) => {
            expect(decodeAll(encode(packet, version), version)).toStrictEqual([packet]);
          }),
          { numRuns: 150 },
        );
      });
    }
  }
});

describe('streaming', () => {
  for (const version of VERSIONS) {
    it(`level ${version}: many packets in one chunk`, () => {
      fc.assert(
        fc.property(fc.array(packetArbitrary(version), { minLength: 1, maxLength: 20 }), (packets) => {
          const bytes = Buffer.concat(packets.map((p) => encode(p, version)));
          expect(decodeAll(bytes, version)).toStrictEqual(packets);
        }),
        { numRuns: 100 },
      );
    });

    it(`level ${version}: a packet split at every byte`, () => {
      fc.assert(
        fc.property(packetArbitrary(version), (packet) => {
          const bytes = encode(packet, version);
          for (let i = 0; i <= bytes.length; i++) {
            expect(decodeChunks([bytes.subarray(0, i), bytes.subarray(i)], version)).toStrictEqual([packet]);
          }
        }),
        { numRuns: 60 },
      );
    });

    it(`level ${version}: many packets in random chunks, including one byte at a time`, () => {
      fc.assert(
        fc.property(
          fc.array(packetArbitrary(version), { minLength: 1, maxLength: 10 }),
          fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 50 }),
          (packets, sizes) => {
            const bytes = Buffer.concat(packets.map((p) => encode(p, version)));
            const chunks: Buffer[] = [];
            for (let pos = 0, i = 0; pos < bytes.length; i++) {
              const size = sizes[i % sizes.length]!;
              chunks.push(bytes.subarray(pos, pos + size));
              pos += size;
            }
            expect(decodeChunks(chunks, version)).toStrictEqual(packets);
            const bytewise = [...bytes].map((b) => Buffer.from([b]));
            expect(decodeChunks(bytewise, version)).toStrictEqual(packets);
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('a PUBLISH inside one chunk has its payload as a view of that chunk', () => {
    const packet: PublishPacket = {
      type: 'publish',
      topic: 't',
      payload: Buffer.from('zero copy'),
      qos: 0,
      retain: false,
      dup: false,
    };
    const chunk = Buffer.concat([encode({ type: 'pingreq' }, 4), encode(packet, 4), encode(packet, 4)]);
    const [, first, second] = decodeAll(chunk, 4) as [Packet, PublishPacket, PublishPacket];
    for (const p of [first, second]) {
      expect(p.payload.buffer).toBe(chunk.buffer);
      expect(p.payload.toString()).toBe('zero copy');
    }
    chunk[chunk.length - 1] = 0x21;
    expect(second.payload.toString()).toBe('zero cop!');
  });

  it('a packet split across chunks is assembled without sharing the chunks', () => {
    const packet: PublishPacket = {
      type: 'publish',
      topic: 't',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
    };
    const bytes = encode(packet, 4);
    const a = Buffer.from(bytes.subarray(0, 3));
    const b = Buffer.from(bytes.subarray(3));
    const [decoded] = decodeChunks([a, b], 4) as [PublishPacket];
    b.fill(0);
    expect(decoded.payload.toString()).toBe('x');
  });

  it('a CONNECT sets the protocol version for the rest of the stream', () => {
    const connect: Packet = {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 10,
      clientId: 'c',
    };
    const puback: Packet = { type: 'puback', packetId: 1, reasonCode: 0x10 };
    const out: Packet[] = [];
    const decoder = new Decoder((p) => out.push(p));
    expect(decoder.protocolVersion).toBe(4);
    decoder.push(Buffer.concat([encode(connect, 5), encode(puback, 5)]));
    expect(decoder.protocolVersion).toBe(5);
    expect(out).toStrictEqual([connect, puback]);
  });

  it('5.0 acknowledgements of remaining length 2 carry no reason code', () => {
    expect(decodeAll(Buffer.from([0x40, 2, 0, 9]), 5)).toStrictEqual([{ type: 'puback', packetId: 9 }]);
    expect(decodeAll(Buffer.from([0x40, 3, 0, 9, 0x10]), 5)).toStrictEqual([
      { type: 'puback', packetId: 9, reasonCode: 0x10 },
    ]);
    expect(decodeAll(Buffer.from([0xe0, 0]), 5)).toStrictEqual([{ type: 'disconnect' }]);
  });

  it('reads the two-byte CONNACK a 3.1.1-only server sends a 5.0 client (return code 0x01)', () => {
    expect(decodeAll(Buffer.from([0x20, 2, 0, 1]), 5)).toStrictEqual([
      { type: 'connack', sessionPresent: false, reasonCode: 1 },
    ]);
  });

  it('keeps a BOM in strings instead of stripping it [MQTT-1.5.4-3]', () => {
    const packet: PublishPacket = {
      type: 'publish',
      topic: '\ufeffa',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      dup: false,
      packetId: undefined,
      properties: undefined,
    };
    const bytes = encode(packet, 4);
    expect([...bytes.subarray(4, 7)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(decodeAll(bytes, 4)).toStrictEqual([packet]);
  });
});

describe('maximum packet size', () => {
  const packet: PublishPacket = {
    type: 'publish',
    topic: 'a',
    payload: Buffer.alloc(100),
    qos: 0,
    retain: false,
    dup: false,
  };
  const bytes = encode(packet, 5);

  it('accepts a packet of exactly the maximum size', () => {
    const out: Packet[] = [];
    new Decoder((p) => out.push(p), { protocolVersion: 5, maxPacketSize: bytes.length }).push(bytes);
    expect(out).toHaveLength(1);
  });

  it('rejects a larger packet with 0x95 from its fixed header alone, before buffering the body', () => {
    const decoder = new Decoder(() => {}, { protocolVersion: 5, maxPacketSize: bytes.length - 1 });
    let error: unknown;
    try {
      decoder.push(bytes.subarray(0, 2));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).reasonCode).toBe(ReasonCode.PacketTooLarge);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('holds for every decoder that shares its rules, each with its own packet in progress', () => {
    const rules = new DecoderRules({ maxPacketSize: bytes.length });
    const a: Packet[] = [];
    const b: Packet[] = [];
    const da = new Decoder((p) => a.push(p), rules);
    const db = new Decoder((p) => b.push(p), rules);
    // 3.1.1 until a CONNECT says otherwise: this PUBLISH has no properties in that version.
    const v4 = encode(packet, 4);
    da.push(v4.subarray(0, 1));
    db.push(v4.subarray(0, 3));
    da.push(v4.subarray(1, 50));
    db.push(v4.subarray(3));
    expect(b).toEqual([packet]);
    expect(a).toHaveLength(0);
    da.push(v4.subarray(50));
    expect(a).toEqual([packet]);
    const larger = encode({ ...packet, payload: Buffer.alloc(200) }, 4);
    expect(() => db.push(larger)).toThrow(ProtocolError);
    expect(() => da.push(v4)).not.toThrow();
  });
});

describe('after an error', () => {
  it('delivers the packets before the malformation, then throws on every push', () => {
    const out: Packet[] = [];
    const decoder = new Decoder((p) => out.push(p));
    const ping = encode({ type: 'pingreq' }, 4);
    expect(() => decoder.push(Buffer.concat([ping, Buffer.from([0x00, 0x00]), ping]))).toThrow(ProtocolError);
    expect(out).toStrictEqual([{ type: 'pingreq' }]);
    expect(() => decoder.push(ping)).toThrow(ProtocolError);
    expect(out).toHaveLength(1);
  });
});

describe('encodePublishHeader', () => {
  for (const version of VERSIONS) {
    it(`level ${version}: header + payload = encode(p); the packet id patches in place`, () => {
      fc.assert(
        fc.property(packetArbitraries(version).publish, fc.integer({ min: 1, max: 0xffff }), (p, id) => {
          const packet = p as PublishPacket;
          const { header, packetIdOffset } = encodePublishHeader(packet, version);
          expect(Buffer.concat([header, packet.payload])).toEqual(encode(packet, version));
          if (packet.qos === 0) {
            expect(packetIdOffset).toBe(-1);
            return;
          }
          const copy = Buffer.from(header);
          writePacketId(copy, packetIdOffset, id);
          expect(decodeAll(Buffer.concat([copy, packet.payload]), version)).toStrictEqual([
            { ...packet, packetId: id },
          ]);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('counts the payload in the remaining length without touching it', () => {
    const payload = { length: 200 } as Buffer;
    const { header } = encodePublishHeader(
      { type: 'publish', topic: 'a', payload, qos: 1, retain: false, dup: false, packetId: 1 },
      4,
    );
    expect([...header]).toEqual([0x32, 0xcd, 0x01, 0, 1, 0x61, 0, 1]);
  });
});

describe('measurePublishStart, writePublishStartAt and encodePublishAfterPacketId', () => {
  for (const version of VERSIONS) {
    it(`level ${version}: the start, then the packet id, then what follows it, then the payload = encode(p)`, () => {
      fc.assert(
        fc.property(packetArbitraries(version).publish, fc.nat(64), (p, offset) => {
          const packet = p as PublishPacket;
          const size = measurePublishStart(packet, version);
          // Written at an offset of a larger buffer, as into a connection's staged bytes.
          const into = Buffer.alloc(offset + size + 8, 0xee);
          writePublishStartAt(into, offset, packet, version);
          const after = encodePublishAfterPacketId(packet, version);
          expect(into.subarray(offset + size).every((b) => b === 0xee)).toBe(true);
          const id = packet.qos > 0 ? [Buffer.from([packet.packetId! >> 8, packet.packetId! & 0xff])] : [];
          expect(
            Buffer.concat([
              into.subarray(offset, offset + size),
              ...id,
              ...(after ? [after] : []),
              packet.payload,
            ]),
          ).toEqual(encode(packet, version));
          // Only 5.0 has anything after the packet id: its properties, a length of 0 at least.
          expect(after !== undefined).toBe(version === 5 && packet.qos > 0);
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('encoder refuses packets it cannot encode with a plain Error', () => {
  const cases: Array<[string, Packet, ProtocolVersion]> = [
    [
      'a topic over 65,535 bytes',
      {
        type: 'publish',
        topic: 'a'.repeat(65_536),
        payload: Buffer.alloc(0),
        qos: 0,
        retain: false,
        dup: false,
      },
      4,
    ],
    [
      'a remaining length over 268,435,455',
      {
        type: 'publish',
        topic: 'a',
        payload: { length: 268_435_453 } as Buffer,
        qos: 0,
        retain: false,
        dup: false,
      },
      4,
    ],
    [
      'QoS 1 without packet id',
      { type: 'publish', topic: 'a', payload: Buffer.alloc(0), qos: 1, retain: false, dup: false },
      4,
    ],
    ['packet id 0', { type: 'puback', packetId: 0 }, 4],
    ['U+0000 in a string', { type: 'unsubscribe', packetId: 1, topicFilters: ['a\0'] }, 4],
    [
      'U+0000 in a long string',
      { type: 'unsubscribe', packetId: 1, topicFilters: [`${'a'.repeat(40)}\0`] },
      4,
    ],
    ['an unpaired surrogate', { type: 'unsubscribe', packetId: 1, topicFilters: ['a\ud800'] }, 4],
    [
      'an unpaired surrogate in a long string',
      { type: 'unsubscribe', packetId: 1, topicFilters: [`${'a'.repeat(40)}\udc00`] },
      4,
    ],
    ['an empty SUBSCRIBE', { type: 'subscribe', packetId: 1, subscriptions: [] }, 4],
    ['AUTH before 5.0', { type: 'auth' }, 4],
    [
      'a property the packet may not carry',
      { type: 'puback', packetId: 1, properties: { topicAlias: 1 } },
      5,
    ],
    ['a password without user name in 3.1.1', connectWithPassword(), 4],
    ['a CONNECT encoded for a level other than its own', connectWithPassword(), 5],
  ];
  for (const [name, packet, version] of cases) {
    it(name, () => {
      let error: unknown;
      try {
        encode(packet, version);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ProtocolError);
    });
  }

  it('writePacketId refuses 0', () => {
    const { header, packetIdOffset } = encodePublishHeader(
      {
        type: 'publish',
        topic: 'a',
        payload: Buffer.alloc(0),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 1,
      },
      4,
    );
    expect(() => writePacketId(header, packetIdOffset, 0)).toThrow(Error);
  });

  it('a remaining length of exactly 268,435,455 is allowed', () => {
    const payload = { length: 268_435_452 } as Buffer;
    expect(() =>
      encodePublishHeader({ type: 'publish', topic: 'a', payload, qos: 0, retain: false, dup: false }, 4),
    ).not.toThrow();
    expect(() =>
      encodePublishHeader(
        {
          type: 'publish',
          topic: 'a',
          payload: { length: 268_435_453 } as Buffer,
          qos: 0,
          retain: false,
          dup: false,
        },
        4,
      ),
    ).toThrow(Error);
  });
});

function connectWithPassword(): Packet {
  return {
    type: 'connect',
    protocolName: 'MQTT',
    protocolVersion: 4,
    bridge: false,
    clean: true,
    keepalive: 0,
    clientId: 'c',
    password: Buffer.from('p'),
  };
}

describe('large bodies', () => {
  it('a header claiming 200 MB buffers only the bytes that arrived', () => {
    const d = new Decoder(() => undefined, { protocolVersion: 4 });
    // PUBLISH QoS 0, remaining length 200,000,000 as a 4-byte variable integer.
    let n = 200_000_000;
    const len: number[] = [];
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      len.push(b);
    } while (n > 0);
    d.push(Buffer.from([0x30, ...len, 0x00, 0x01, 0x61]));
    expect(d.bufferedBytes).toBe(3);
  });

  it('a 3 MB PUBLISH split into many chunks is delivered whole', () => {
    const payload = Buffer.alloc(3 * 1024 * 1024, 7);
    const bytes = encode({ type: 'publish', topic: 'big', payload, qos: 0, retain: false, dup: false }, 4);
    const got: Packet[] = [];
    const d = new Decoder((p) => got.push(p), { protocolVersion: 4 });
    for (let i = 0; i < bytes.length; i += 65_536) d.push(bytes.subarray(i, i + 65_536));
    expect(got).toHaveLength(1);
    expect((got[0] as { payload: Buffer }).payload.equals(payload)).toBe(true);
  });
});
