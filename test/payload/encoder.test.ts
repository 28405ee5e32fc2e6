import { decode as msgpackDecode } from '@msgpack/msgpack';
import * as cbor from 'cbor';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import sparkplugPayload from 'sparkplug-payload';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createDecoder } from '../../src/payload/decoder.js';
import { createEncoder, type EncoderOptions } from '../../src/payload/encoder.js';
import type { EncodeFormat } from '../../src/payload/formats.js';

const tahu = sparkplugPayload.get('spBv1.0')!;
const PROTO = protobuf.parse(
  'syntax = "proto3"; package p; message M { int64 id = 1; string name = 2; repeated double xs = 3; E e = 4; } enum E { A = 0; B = 1; }',
).root;
const proto = { root: PROTO, type: 'p.M' };

const encoder = (format: EncodeFormat, extra: Partial<EncoderOptions> = {}) =>
  createEncoder({ format, ...extra });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('--encode', () => {
  it('text and json send the input as given; json must parse', async () => {
    expect((await encoder('text'))(Buffer.from('x y'))).toEqual(Buffer.from('x y'));
    expect((await encoder('json'))(Buffer.from('{"a": 1}'))).toEqual(Buffer.from('{"a": 1}'));
    const jsonEncode = await encoder('json');
    expect(() => jsonEncode(Buffer.from('{a:1}'))).toThrow(UsageError);
  });

  it('hex and base64 take their text', async () => {
    const hex = await encoder('hex');
    expect(hex(Buffer.from('00 ff\n10'))).toEqual(Buffer.from([0, 255, 16]));
    expect(hex(Buffer.from('0xCAFE'))).toEqual(Buffer.from([0xca, 0xfe]));
    expect(() => hex(Buffer.from('abc'))).toThrow(/pairs of hex digits/);
    const b64 = await encoder('base64');
    expect(b64(Buffer.from('AP8Q'))).toEqual(Buffer.from([0, 255, 16]));
    expect(b64(Buffer.from('_w=='))).toEqual(Buffer.from([255]));
    expect(() => b64(Buffer.from('no!'))).toThrow(UsageError);
  });

  it('cbor writes what an independent decoder (npm cbor) reads', async () => {
    const bytes = (await encoder('cbor'))(json({ a: [1, -2.5, 'x', null, true], b: {} }));
    expect(cbor.decodeFirstSync(bytes)).toEqual({ a: [1, -2.5, 'x', null, true], b: {} });
    // Shortest map header, float64: a1 "t" fb 21.5.
    expect((await encoder('cbor'))(json({ t: 21.5 })).toString('hex')).toBe('a16174fb4035800000000000');
  });

  it('msgpack writes what @msgpack/msgpack reads', async () => {
    const bytes = (await encoder('msgpack'))(json({ a: [1, 'x'] }));
    expect(msgpackDecode(bytes)).toEqual({ a: [1, 'x'] });
  });

  it("protobuf takes protobuf's JSON mapping", async () => {
    const bytes = (await encoder('protobuf', { proto }))(
      json({ id: '9007199254740993', name: 'n', xs: [1.5], e: 'B' }),
    );
    const type = PROTO.lookupType('p.M');
    expect(type.toObject(type.decode(bytes), { longs: String, enums: String })).toEqual({
      id: '9007199254740993',
      name: 'n',
      xs: [1.5],
      e: 'B',
    });
  });

  it('protobuf names the types a .proto has when --type is not one', async () => {
    await expect(
      createEncoder({ format: 'protobuf', proto: { root: PROTO, type: 'p.Nope' } }),
    ).rejects.toThrow(/no message type p\.Nope .*p\.M/);
  });

  it('sparkplug writes what Eclipse Tahu reads', async () => {
    const bytes = (await encoder('sparkplug'))(
      json({ seq: 1, metrics: [{ name: 'temperature', alias: 2, datatype: 'Float', value: 21.5 }] }),
    );
    expect(tahu.decodePayload(bytes).metrics).toMatchObject([
      { name: 'temperature', type: 'Float', value: 21.5 },
    ]);
    const sparkplug = await encoder('sparkplug');
    expect(() => sparkplug(json({ metrics: [{ name: 'x', datatype: 'Nope', value: 1 }] }))).toThrow(
      /--encode sparkplug: metric "x" datatype: unknown Sparkplug datatype "Nope"/,
    );
    expect(() => sparkplug(Buffer.from('not json'))).toThrow(/--encode sparkplug takes JSON/);
  });
});

/** JSON values that survive JSON text: no -0, integers within 2^53. */
const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** A key that plain assignment turns into a prototype change; fast-check generates it too. */
const protoKey: unknown = JSON.parse('{"__proto__": {"a": [1]}, "b": null}');
const hasProtoKey = (v: unknown): boolean =>
  v !== null &&
  typeof v === 'object' &&
  (Object.hasOwn(v, '__proto__') || Object.values(v).some(hasProtoKey));

describe('round trips: decode(encode(input)) is the input', () => {
  it.each(['cbor', 'json'] as const)('%s', async (format) => {
    const encode = await encoder(format);
    const decode = await createDecoder({ format, pretty: false, warn: () => undefined });
    fc.assert(
      fc.property(jsonValue, (value) => {
        expect(decode('t', encode(json(value))).json).toEqual(value);
      }),
      { examples: [[protoKey]] },
    );
  });

  it('msgpack, except a __proto__ key, which @msgpack/msgpack refuses and mqx reports', async () => {
    const encode = await encoder('msgpack');
    const warnings: string[] = [];
    const decode = await createDecoder({ format: 'msgpack', pretty: false, warn: (w) => warnings.push(w) });
    fc.assert(
      fc.property(
        jsonValue.filter((v) => !hasProtoKey(v)),
        (value) => {
          expect(decode('t', encode(json(value))).json).toEqual(value);
        },
      ),
    );
    expect(warnings).toEqual([]);
    const bytes = encode(json(protoKey));
    expect(decode('t', bytes)).toMatchObject({ format: 'hex', json: Buffer.from(bytes).toString('hex') });
    expect(warnings).toEqual(['warning: t: not msgpack (The key __proto__ is not allowed)']);
  });

  it.each(['hex', 'base64'] as const)('%s', async (format) => {
    const encode = await encoder(format);
    const decode = await createDecoder({ format, pretty: false, warn: () => undefined });
    fc.assert(
      fc.property(fc.uint8Array(), (bytes) => {
        const text = decode('t', Buffer.from(bytes)).text;
        expect(encode(text)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('protobuf', async () => {
    const encode = await encoder('protobuf', { proto });
    const decode = await createDecoder({ format: 'protobuf', pretty: false, warn: () => undefined, proto });
    const message = fc.record(
      {
        id: fc
          .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
          .filter((n) => n !== 0n)
          .map(String),
        name: fc.string({ minLength: 1 }),
        xs: fc.array(
          fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => d || 0),
          { minLength: 1 },
        ),
        e: fc.constant('B'),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(message, (m) => {
        expect(decode('t', encode(json(m))).json).toEqual(m);
      }),
    );
  });
});
