/** Sparkplug B payloads written by Eclipse Tahu's own encoder (npm sparkplug-payload), read by ours. */
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import Long from 'long';
import sparkplugPayload from 'sparkplug-payload';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSparkplug } from '../../../src/payload/sparkplug/decode.js';
import { encodeSparkplug } from '../../../src/payload/sparkplug/encode.js';
import { loadSparkplug } from '../../../src/payload/sparkplug/proto.js';
import { toJson, toPeople } from '../../../src/payload/tree.js';

const tahu = sparkplugPayload.get('spBv1.0')!;

beforeAll(loadSparkplug);

interface Metric {
  name?: string;
  value?: unknown;
  properties?: unknown;
}
interface Doc {
  metrics: Metric[];
  [key: string]: unknown;
}

const decodeJson = (bytes: Uint8Array) => toJson(decodeSparkplug(bytes).tree) as Doc;

describe('Sparkplug B decoding, against Eclipse Tahu', () => {
  it('reads an NBIRTH: names, aliases, datatypes, timestamps and seq', () => {
    const bytes = tahu.encodePayload({
      timestamp: 1_700_000_000_123,
      seq: 0,
      metrics: [
        { name: 'bdSeq', alias: 1, type: 'Int64', value: 3 },
        { name: 'Node Control/Rebirth', alias: 2, type: 'Boolean', value: false },
        { name: 'temperature', alias: 3, type: 'Double', value: 21.5, timestamp: 1_700_000_000_100 },
        { name: 'label', type: 'String', value: 'room 1' },
      ],
    });
    const doc = decodeJson(bytes);
    expect(doc.timestamp).toBe(1_700_000_000_123);
    expect(doc.seq).toBe(0);
    expect(doc.metrics).toEqual([
      { name: 'bdSeq', alias: 1, datatype: 'Int64', value: '3' },
      { name: 'Node Control/Rebirth', alias: 2, datatype: 'Boolean', value: false },
      { name: 'temperature', alias: 3, timestamp: 1_700_000_000_100, datatype: 'Double', value: 21.5 },
      { name: 'label', datatype: 'String', value: 'room 1' },
    ]);
    const people = toPeople(decodeSparkplug(bytes).tree, false);
    expect(people).toContain('"timestamp":"2023-11-14T22:13:20.123Z"');
    expect(people).toContain('"name":"bdSeq","alias":1,"datatype":"Int64","value":3}');
  });

  it('gives each integer type its JSON type by datatype, signed and 64-bit ones exact', () => {
    const metrics = [
      { name: 'i8', type: 'Int8', value: -5 },
      { name: 'i16', type: 'Int16', value: -300 },
      { name: 'i32', type: 'Int32', value: -70000 },
      { name: 'u8', type: 'UInt8', value: 200 },
      { name: 'u16', type: 'UInt16', value: 60000 },
      { name: 'u32', type: 'UInt32', value: 4_000_000_000 },
      { name: 'i64', type: 'Int64', value: Long.fromString('-9007199254740993') },
      { name: 'u64', type: 'UInt64', value: Long.fromString('18446744073709551615', true) },
      { name: 'dt', type: 'DateTime', value: 1_700_000_000_000 },
      { name: 'f', type: 'Float', value: 0.1 },
      { name: 'd', type: 'Double', value: 0.1 },
    ] as const;
    const bytes = tahu.encodePayload({ metrics: metrics.map((m) => ({ ...m })) as never });
    const values = Object.fromEntries(decodeJson(bytes).metrics.map((m) => [m.name, m.value]));
    expect(values).toEqual({
      i8: -5,
      i16: -300,
      i32: -70000,
      u8: 200,
      u16: 60000,
      u32: 4_000_000_000,
      i64: '-9007199254740993',
      u64: '18446744073709551615',
      dt: '1700000000000',
      f: 0.1,
      d: 0.1,
    });
    const people = toPeople(decodeSparkplug(bytes).tree, false);
    expect(people).toContain('"value":-9007199254740993}');
    expect(people).toContain('"value":18446744073709551615}');
    expect(people).toContain('"name":"dt","datatype":"DateTime","value":"2023-11-14T22:13:20.000Z"');
  });

  it('renders datasets, templates, property sets, bytes and null metrics', () => {
    const bytes = tahu.encodePayload({
      metrics: [
        {
          name: 'table',
          type: 'DataSet',
          value: {
            numOfColumns: 2,
            columns: ['id', 'name'],
            types: ['Int32', 'String'],
            rows: [
              [1, 'a'],
              [-2, 'b'],
            ],
          },
        },
        {
          name: 'motor',
          type: 'Template',
          value: {
            version: 'v1',
            templateRef: 'Motor',
            isDefinition: false,
            metrics: [{ name: 'rpm', type: 'UInt32', value: 1500 }],
            parameters: [{ name: 'poles', type: 'Int32', value: 4 }],
          },
        },
        { name: 'blob', type: 'Bytes', value: new Uint8Array([0, 255, 16]) },
        { name: 'gone', type: 'Double', value: null, isNull: true },
        {
          name: 'withProps',
          type: 'Double',
          value: 1.5,
          properties: { engUnit: { type: 'String', value: '°C' }, quality: { type: 'Int32', value: 192 } },
        },
      ] as never,
    });
    const [table, motor, blob, gone, withProps] = decodeJson(bytes).metrics as [
      Metric,
      Metric,
      Metric,
      Metric,
      Metric,
    ];
    expect(table.value).toEqual({
      columns: ['id', 'name'],
      types: ['Int32', 'String'],
      rows: [
        [1, 'a'],
        [-2, 'b'],
      ],
    });
    expect(motor.value).toEqual({
      version: 'v1',
      templateRef: 'Motor',
      isDefinition: false,
      metrics: [{ name: 'rpm', datatype: 'UInt32', value: 1500 }],
      parameters: [{ name: 'poles', type: 'Int32', value: 4 }],
    });
    expect(blob.value).toBe(Buffer.from([0, 255, 16]).toString('base64'));
    expect(gone).toEqual({ name: 'gone', datatype: 'Double', value: null });
    expect(withProps.properties).toEqual({
      engUnit: { type: 'String', value: '°C' },
      quality: { type: 'Int32', value: 192 },
    });
  });

  it.each([
    ['DEFLATE', deflateSync],
    ['GZIP', gzipSync],
  ] as const)('inflates a %s-compressed payload', (algorithm, compress) => {
    const inner = tahu.encodePayload({
      seq: 4,
      metrics: [{ name: 'temperature', type: 'Double', value: 22.25 }],
    });
    const outer = tahu.encodePayload({
      uuid: 'SPBV1.0_COMPRESSED',
      body: compress(inner),
      metrics: [{ name: 'algorithm', type: 'String', value: algorithm }],
    });
    const doc = decodeJson(outer);
    expect(doc.compressed).toBe(algorithm);
    expect(doc.seq).toBe(4);
    expect(doc.metrics).toEqual([{ name: 'temperature', datatype: 'Double', value: 22.25 }]);
  });

  it('resolves names and datatypes of alias-only metrics through the given lookup', () => {
    const bytes = tahu.encodePayload({ seq: 1, metrics: [{ alias: 3, type: 'Double', value: 20 }] as never });
    const known = decodeSparkplug(bytes, (alias) =>
      alias === 3n ? { name: 'temperature', datatype: 10 } : undefined,
    );
    expect(toJson(known.tree)).toMatchObject({ metrics: [{ name: 'temperature', alias: 3, value: 20 }] });
    expect(decodeSparkplug(bytes).metrics).toEqual([{ name: undefined, alias: 3n, datatype: 10 }]);
  });

  it('throws on bytes that are not a Sparkplug payload', () => {
    expect(() => decodeSparkplug(Buffer.from('{"a":1}'))).toThrow();
  });
});

describe('Sparkplug B encoding, read back by Eclipse Tahu', () => {
  it('writes what Tahu decodes to the same metrics', () => {
    const bytes = encodeSparkplug({
      timestamp: '2023-11-14T22:13:20.000Z',
      seq: 7,
      metrics: [
        { name: 'temperature', alias: 3, datatype: 'Double', value: 21.5 },
        { name: 'count', datatype: 'Int64', value: '-9007199254740993' },
        { name: 'small', datatype: 'Int8', value: -1 },
        { name: 'flag', datatype: 'Boolean', value: true },
        { name: 'nothing', datatype: 'String', value: null },
      ],
    });
    const back = tahu.decodePayload(bytes);
    expect(Number(back.timestamp)).toBe(1_700_000_000_000);
    expect(Number(back.seq)).toBe(7);
    const m = back.metrics!;
    expect(m[0]).toMatchObject({ name: 'temperature', type: 'Double', value: 21.5 });
    expect(m[1]!.type).toBe('Int64');
    expect(BigInt.asIntN(64, BigInt(String(m[1]!.value)))).toBe(-9007199254740993n);
    expect(m[2]).toMatchObject({ name: 'small', type: 'Int8', value: -1 });
    expect(m[3]).toMatchObject({ name: 'flag', type: 'Boolean', value: true });
    expect(m[4]).toMatchObject({ name: 'nothing', value: null });
  });

  it('rejects input that names no datatype, or a value the message cannot carry', () => {
    expect(() => encodeSparkplug({ metrics: [{ name: 'x', value: 1 }] })).toThrow(/datatype/);
    expect(() => encodeSparkplug({ metrics: [{ name: 'x', datatype: 'PropertySet', value: {} }] })).toThrow(
      /metric "x": cannot carry a value of type PropertySet/,
    );
  });
});

const SCALARS = {
  Int8: fc.integer({ min: -128, max: 127 }),
  Int16: fc.integer({ min: -32768, max: 32767 }),
  Int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  UInt8: fc.integer({ min: 0, max: 255 }),
  UInt32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  Int64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  UInt64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  DateTime: fc.integer({ min: 0, max: 4_000_000_000_000 }).map(String),
  Double: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  // Quarters are exact floats whose shortest decimal is themselves.
  Float: fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 4 || 0),
  Boolean: fc.boolean(),
  String: fc.string(),
  Int32Array: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  UInt64Array: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String)),
  DoubleArray: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0))),
  BooleanArray: fc.array(fc.boolean()),
  StringArray: fc.array(fc.string().filter((s) => !s.includes('\0'))),
} as const;

const metricArb = fc.oneof(
  ...Object.entries(SCALARS).map(([datatype, value]) =>
    fc.record({
      name: fc.string(),
      alias: fc.nat(),
      datatype: fc.constant(datatype),
      value: value as fc.Arbitrary<unknown>,
    }),
  ),
);

describe('Sparkplug B round trip', () => {
  it('datasets, templates and property sets come back as they went', () => {
    const doc = {
      metrics: [
        {
          name: 'table',
          datatype: 'DataSet',
          value: { columns: ['id', 'at'], types: ['Int64', 'DateTime'], rows: [['-1', '1700000000000']] },
        },
        {
          name: 'motor',
          datatype: 'Template',
          value: {
            templateRef: 'Motor',
            isDefinition: false,
            metrics: [{ name: 'rpm', datatype: 'UInt32', value: 1500 }],
            parameters: [{ name: 'poles', type: 'String', value: 'four' }],
          },
        },
        {
          name: 'speed',
          datatype: 'Double',
          value: 3.5,
          properties: {
            engUnit: { type: 'String', value: 'rpm' },
            limits: { type: 'PropertySet', value: { max: { type: 'Double', value: 9.5 } } },
            flags: { type: 'PropertySetList', value: [{ on: { type: 'Boolean', value: true } }] },
            unset: { type: 'Int8', value: null },
          },
        },
      ],
    };
    expect(decodeJson(encodeSparkplug(doc))).toEqual(doc);
  });

  it('decode(encode(json)) is the json (--json form)', () => {
    fc.assert(
      fc.property(
        fc.record({
          timestamp: fc.nat(),
          seq: fc.integer({ min: 0, max: 255 }),
          metrics: fc.array(metricArb),
        }),
        (doc) => {
          const decoded = decodeJson(encodeSparkplug(doc));
          expect(decoded).toEqual(doc);
        },
      ),
    );
  });
});
