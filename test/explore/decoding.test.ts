import * as cbor from 'cbor';
import sparkplugPayload from 'sparkplug-payload';
import { describe, expect, it } from 'vitest';
import { payloadDecoder } from '../../commands/shared/payload.js';
import { type DecoderLoader, PayloadDecoding } from '../../src/explore/decoding.js';
import { TopicTree } from '../../src/explore/model.js';
import { payloadLines, payloadPreview } from '../../src/explore/payload-view.js';
import type { DecodeFormat } from '../../src/payload/formats.js';

const tahu = sparkplugPayload.get('spBv1.0')!;

/** The real loader of commands/explore.ts, counting how often a codec was asked for. */
function decoding(format: DecodeFormat, extra: { proto?: string; type?: string } = {}) {
  const loads = { count: 0 };
  const load: DecoderLoader = (warn) => {
    loads.count++;
    return payloadDecoder({ decode: format, ...extra }, true, warn);
  };
  return { decoding: new PayloadDecoding(format, load), loads };
}

/** Messages through the decoding into a tree, as app.ts does; resolves once every one is in. */
async function feed(d: PayloadDecoding, messages: Array<[string, Buffer]>): Promise<TopicTree> {
  const tree = new TopicTree();
  await Promise.all(
    messages.map(
      ([topic, payload]) =>
        new Promise<void>((resolve) =>
          d.take(topic, payload, (decoded) => {
            tree.insert({ topic, payload, qos: 0, retain: false, ...(decoded ? { decoded } : {}) }, 0);
            resolve();
          }),
        ),
    ),
  );
  return tree;
}

const NBIRTH = Buffer.from(
  tahu.encodePayload({
    timestamp: 1_700_000_000_000,
    seq: 0,
    metrics: [
      { name: 'bdSeq', type: 'UInt64', value: 0 },
      { name: 'boiler/temperature', alias: 7, type: 'Double', value: 21.5 },
    ],
  }),
);
const NDATA = Buffer.from(
  tahu.encodePayload({
    timestamp: 1_700_000_001_000,
    seq: 1,
    metrics: [{ alias: 7, type: 'Double', value: 64.25 }],
  }),
);

describe('explore --decode auto', () => {
  it('shows a Tahu NDATA by the metric name its NBIRTH gave the alias, with its value', async () => {
    const { decoding: d } = decoding('auto');
    const tree = await feed(d, [
      ['spBv1.0/plant/NBIRTH/edge1', NBIRTH],
      ['spBv1.0/plant/NDATA/edge1', NDATA],
    ]);
    const data = tree.find('spBv1.0/plant/NDATA/edge1')!.last!;
    expect(data.decoded).toMatchObject({ format: 'sparkplug' });
    expect(data.decoded!.warning).toBeUndefined();
    const lines = payloadLines(data, 'auto', 60);
    expect(lines).toContain('  "messageType": "NDATA",');
    const metric = lines.join('\n');
    expect(metric).toMatch(/"name": "boiler\/temperature",\n\s+"alias": 7,/);
    expect(metric).toContain('"value": 64.25');
    // The tree's row has room for the metrics only: name=value, 64-bit values as their digits.
    expect(payloadPreview(data)).toBe('boiler/temperature=64.25');
    expect(payloadPreview(tree.find('spBv1.0/plant/NBIRTH/edge1')!.last!)).toBe(
      'bdSeq=0  boiler/temperature=21.5',
    );
    // The raw views still show the bytes.
    expect(payloadLines(data, 'hex', 60)[0]).toMatch(/^000000 {2}08 /);
  });

  it('says when an NDATA names an alias no NBIRTH explained', async () => {
    const { decoding: d } = decoding('auto');
    const tree = await feed(d, [['spBv1.0/plant/NDATA/edge2', NDATA]]);
    const data = tree.find('spBv1.0/plant/NDATA/edge2')!.last!;
    expect(data.decoded!.warning).toBe('alias 7 not in a BIRTH seen since mqx started');
    expect(payloadPreview(data)).toBe('#7=64.25');
    expect(payloadLines(data, 'auto', 60).join('\n')).toContain('"alias": 7');
  });

  it('loads no codec until a spBv1.0/ message comes; other topics go in at once, as before', async () => {
    const { decoding: d, loads } = decoding('auto');
    expect(d.eager).toBe(false);
    let delivered: unknown = 'not yet';
    d.take('lab/t', Buffer.from('{"a":1}'), (decoded) => {
      delivered = decoded;
    });
    expect(delivered).toBeUndefined();
    expect(loads.count).toBe(0);
    const tree = await feed(d, [
      ['spBv1.0/STATE/scada', Buffer.from('{"online":true,"timestamp":1700000000000}')],
      ['spBv1.0/plant/NDATA/edge1', Buffer.from('not protobuf')],
    ]);
    expect(loads.count).toBe(1);
    const state = tree.find('spBv1.0/STATE/scada')!.last!;
    expect(payloadPreview(state)).toBe('online=true  timestamp=2023-11-14T22:13:20.000Z');
    expect(payloadLines(state, 'auto', 60)).toEqual([
      '{',
      '  "messageType": "STATE",',
      '  "hostId": "scada",',
      '  "online": true,',
      '  "timestamp": "2023-11-14T22:13:20.000Z"',
      '}',
    ]);
    // Not Sparkplug after all: shown as explore shows any payload, with the decoder's reason.
    const bad = tree.find('spBv1.0/plant/NDATA/edge1')!.last!;
    expect(bad.decoded?.text).toBeUndefined();
    expect(bad.decoded?.warning).toMatch(/^not a Sparkplug B payload/);
    expect(payloadLines(bad, 'auto', 60)).toEqual(['not protobuf']);
  });

  it('keeps arrival order while the codec loads: the NBIRTH explains the NDATA behind it', async () => {
    const { decoding: d } = decoding('auto');
    const order: string[] = [];
    const tree = new TopicTree();
    await new Promise<void>((resolve) => {
      for (const [topic, payload] of [
        ['spBv1.0/plant/NBIRTH/edge1', NBIRTH],
        ['spBv1.0/plant/NDATA/edge1', NDATA],
      ] as const) {
        d.take(topic, payload, (decoded) => {
          order.push(topic);
          tree.insert({ topic, payload, qos: 0, retain: false, ...(decoded ? { decoded } : {}) }, 0);
          if (order.length === 2) resolve();
        });
      }
    });
    expect(order).toEqual(['spBv1.0/plant/NBIRTH/edge1', 'spBv1.0/plant/NDATA/edge1']);
    expect(tree.find('spBv1.0/plant/NDATA/edge1')!.last!.decoded!.text).toContain('boiler/temperature');
  });

  it('a codec that cannot load leaves the messages it was for undecoded, saying why', async () => {
    const d = new PayloadDecoding('auto', () => Promise.reject(new Error('no protobufjs')));
    const tree = await feed(d, [
      ['spBv1.0/plant/NBIRTH/edge1', NBIRTH],
      ['spBv1.0/plant/NDATA/edge1', NDATA],
    ]);
    for (const topic of ['spBv1.0/plant/NBIRTH/edge1', 'spBv1.0/plant/NDATA/edge1'])
      expect(tree.find(topic)!.last!.decoded).toEqual({ warning: 'not decoded: no protobufjs' });
  });
});

describe('explore --decode FORMAT', () => {
  it('cbor: every payload decoded, shown as indented JSON; one that is not CBOR says so', async () => {
    const { decoding: d, loads } = decoding('cbor');
    expect(d.eager).toBe(true);
    await d.ready();
    const tree = await feed(d, [
      ['meters/a', cbor.encode({ kwh: 1234.5, ok: true, tags: ['x'] })],
      ['meters/b', Buffer.from([0xff, 0xff])],
    ]);
    expect(loads.count).toBe(1);
    const a = tree.find('meters/a')!.last!;
    expect(a.decoded?.format).toBe('cbor');
    expect(payloadLines(a, 'auto', 40)).toEqual([
      '{',
      '  "kwh": 1234.5,',
      '  "ok": true,',
      '  "tags": [',
      '    "x"',
      '  ]',
      '}',
    ]);
    expect(payloadPreview(a)).toBe('{ "kwh": 1234.5, "ok": true, "tags": [ "x" ] }');
    const b = tree.find('meters/b')!.last!;
    expect(b.decoded?.text).toBeUndefined();
    expect(b.decoded?.warning).toMatch(/^not cbor/);
    expect(payloadPreview(b)).toBe('0xffff');
  });

  it('text, json and hex are views explore has: they pick the first view and load no codec', () => {
    for (const format of ['text', 'json', 'hex'] as const) {
      const { decoding: d, loads } = decoding(format);
      expect(d.initialMode).toBe(format);
      expect(d.eager).toBe(false);
      d.take('spBv1.0/plant/NDATA/edge1', NDATA, (decoded) => expect(decoded).toBeUndefined());
      expect(loads.count).toBe(0);
    }
  });

  it('a protobuf type the .proto lacks is an error before anything runs', async () => {
    const { decoding: d } = decoding('protobuf', { proto: 'test/fixtures/none.proto', type: 'x.Y' });
    await expect(d.ready()).rejects.toThrow(/cannot read test\/fixtures\/none\.proto/);
  });
});
