import { encode as msgpackEncode } from '@msgpack/msgpack';
import * as cbor from 'cbor';
import protobuf from 'protobufjs';
import sparkplugPayload from 'sparkplug-payload';
import { describe, expect, it } from 'vitest';
import { createDecoder, type DecoderOptions } from '../../src/payload/decoder.js';

const tahu = sparkplugPayload.get('spBv1.0')!;

async function decoder(format: DecoderOptions['format'], extra: Partial<DecoderOptions> = {}) {
  const warnings: string[] = [];
  const decode = await createDecoder({ format, pretty: false, warn: (l) => warnings.push(l), ...extra });
  const run = (topic: string, payload: Buffer | string) => {
    const d = decode(topic, Buffer.from(payload));
    return { format: d.format, text: d.text.toString(), json: d.json };
  };
  return { run, warnings };
}

describe('--decode auto', () => {
  it.each(['empty', '5000', '{"a":1}', '{"a": 1}', '"quoted"', 'true', '12345678901234567890', ''])(
    'prints %j as itself',
    async (payload) => {
      const { run } = await decoder('auto');
      expect(run('srv/x', payload).text).toBe(payload);
    },
  );

  it('reads JSON only when the bytes parse as JSON, and says which', async () => {
    const { run } = await decoder('auto');
    expect(run('a', '{"a":1}')).toEqual({ format: 'json', text: '{"a":1}', json: { a: 1 } });
    expect(run('a', '5000')).toEqual({ format: 'json', text: '5000', json: 5000 });
    expect(run('a', 'empty')).toEqual({ format: 'text', text: 'empty', json: undefined });
    expect(run('a', '{"a":')).toMatchObject({ format: 'text' });
  });

  it('prints bytes that are not UTF-8 in hex, and never decodes CBOR or MessagePack on its own', async () => {
    const { run } = await decoder('auto');
    expect(run('a', Buffer.from([0xff, 0x00, 0xc3]))).toEqual({
      format: 'hex',
      text: 'ff00c3',
      json: 'ff00c3',
    });
    expect(run('a', cbor.encode({ a: 1 })).format).toBe('hex');
    expect(run('a', Buffer.from(msgpackEncode({ a: 1 }))).format).not.toBe('msgpack');
  });

  it('decodes Sparkplug B on spBv1.0/ topics only, STATE as JSON', async () => {
    const { run, warnings } = await decoder('auto');
    const bytes = Buffer.from(
      tahu.encodePayload({ seq: 0, metrics: [{ name: 't', alias: 1, type: 'Double', value: 1.5 }] }),
    );
    const birth = run('spBv1.0/G/NBIRTH/E', bytes);
    expect(birth.format).toBe('sparkplug');
    expect(birth.json).toMatchObject({ messageType: 'NBIRTH', metrics: [{ name: 't', value: 1.5 }] });
    expect(run('not/sparkplug', bytes).format).toBe('hex');
    expect(run('spBv1.0/STATE/h', '{"online":false,"timestamp":5}').json).toEqual({
      messageType: 'STATE',
      hostId: 'h',
      online: false,
      timestamp: 5,
    });
    expect(warnings).toEqual([]);
  });

  it('warns and prints as auto would when a spBv1.0 payload is not Sparkplug', async () => {
    const { run, warnings } = await decoder('auto');
    expect(run('spBv1.0/G/NDATA/E', '{"x":1}')).toMatchObject({ format: 'json' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: spBv1\.0\/G\/NDATA\/E: not a Sparkplug B payload/);
  });
});

describe('explicit formats', () => {
  it('json is validated, pretty when asked', async () => {
    const { run, warnings } = await decoder('json', { pretty: true });
    expect(run('a', '{"a":[1]}').text).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(run('a', 'nope')).toMatchObject({ format: 'text', text: 'nope' });
    expect(warnings).toEqual(['warning: a: not JSON']);
  });

  it('hex and base64 print the bytes', async () => {
    expect((await decoder('hex')).run('a', 'hi').text).toBe('6869');
    expect((await decoder('base64')).run('a', 'hi').text).toBe('aGk=');
  });

  it('cbor reads what an independent encoder (npm cbor) wrote', async () => {
    const { run } = await decoder('cbor');
    const bytes = cbor.encode({
      n: 1,
      big: 2n ** 64n + 1n,
      neg: -(2n ** 60n),
      f: 1.5,
      s: 'x',
      b: Buffer.from([1, 2]),
      l: [true, null],
    });
    const d = run('a', bytes);
    expect(d.json).toEqual({
      n: 1,
      big: '18446744073709551617',
      neg: '-1152921504606846976',
      f: 1.5,
      s: 'x',
      b: 'AQI=',
      l: [true, null],
    });
    expect(d.text).toContain('"big":18446744073709551617');
    expect(run('a', cbor.encode(new Map<unknown, unknown>([[1, 'one']]))).json).toEqual({ 1: 'one' });
  });

  it('msgpack reads 64-bit integers exactly', async () => {
    const { run } = await decoder('msgpack');
    const d = run('a', Buffer.from(msgpackEncode({ big: 2n ** 63n - 1n, small: 3 }, { useBigInt64: true })));
    expect(d.json).toEqual({ big: '9223372036854775807', small: 3 });
  });

  it('protobuf reads the given type of a .proto', async () => {
    const root = protobuf.parse(
      'syntax = "proto3"; package p; message M { int64 id = 1; string name = 2; bytes raw = 3; }',
    ).root;
    const type = root.lookupType('p.M');
    const bytes = type
      .encode(type.fromObject({ id: '9007199254740993', name: 'n', raw: Buffer.from([7]) }))
      .finish();
    const { run } = await decoder('protobuf', { proto: { root, type: 'p.M' } });
    expect(run('a', Buffer.from(bytes)).json).toEqual({ id: '9007199254740993', name: 'n', raw: 'Bw==' });
  });

  it('a payload not in the format asked for is reported and printed as auto would', async () => {
    const { run, warnings } = await decoder('cbor');
    expect(run('t', Buffer.from([0xff]))).toMatchObject({ format: 'hex' });
    expect(warnings[0]).toMatch(/^warning: t: not cbor/);
  });
});
