import sparkplugPayload from 'sparkplug-payload';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSparkplug } from '../../../src/payload/sparkplug/proto.js';
import { decodeState, parseTopic, SparkplugSession } from '../../../src/payload/sparkplug/session.js';
import { toJson } from '../../../src/payload/tree.js';

const tahu = sparkplugPayload.get('spBv1.0')!;

interface Doc {
  metrics: Array<{ name?: string }>;
  [key: string]: unknown;
}

beforeAll(loadSparkplug);

function session() {
  const warnings: string[] = [];
  const s = new SparkplugSession((line) => warnings.push(line));
  const decode = (topic: string, payload: object) => {
    const where = parseTopic(topic);
    if (where?.kind !== 'edge') throw new Error(`not an edge topic: ${topic}`);
    return toJson(s.decode(topic, where, tahu.encodePayload(payload as never))) as Doc;
  };
  return { decode, warnings };
}

const birth = (seq: number) => ({
  seq,
  metrics: [
    { name: 'bdSeq', type: 'Int64', value: 0 },
    { name: 'temperature', alias: 1, type: 'Double', value: 20 },
  ],
});

describe('Sparkplug topics', () => {
  it.each([
    ['spBv1.0/G/NBIRTH/E', { kind: 'edge', group: 'G', type: 'NBIRTH', edge: 'E', device: undefined }],
    ['spBv1.0/G/DDATA/E/D', { kind: 'edge', group: 'G', type: 'DDATA', edge: 'E', device: 'D' }],
    ['spBv1.0/STATE/host1', { kind: 'state', host: 'host1' }],
    ['spBv1.0/G/NDATA/E/D', undefined],
    ['spBv1.0/G/DDATA/E', undefined],
    ['spBv1.0/G/OTHER/E', undefined],
    ['spAv1.0/G/NDATA/E', undefined],
  ])('%s', (topic, expected) => {
    expect(parseTopic(topic)).toEqual(expected);
  });

  it('reads STATE as its JSON, the timestamp a time', () => {
    expect(toJson(decodeState('h', Buffer.from('{"online":true,"timestamp":1700000000000}'))!)).toEqual({
      messageType: 'STATE',
      hostId: 'h',
      online: true,
      timestamp: 1700000000000,
    });
    expect(decodeState('h', Buffer.from('ONLINE'))).toBeUndefined();
  });
});

describe('a Sparkplug session', () => {
  it('names alias-only metrics from the latest BIRTH of that edge node or device', () => {
    const { decode, warnings } = session();
    decode('spBv1.0/G/NBIRTH/E', birth(0));
    decode('spBv1.0/G/DBIRTH/E/D', {
      seq: 1,
      metrics: [{ name: 'humidity', alias: 2, type: 'Float', value: 40 }],
    });
    const ndata = decode('spBv1.0/G/NDATA/E', { seq: 2, metrics: [{ alias: 1, type: 'Double', value: 21 }] });
    expect(ndata).toMatchObject({ messageType: 'NDATA', group: 'G', edgeNode: 'E', seq: 2 });
    expect(ndata.metrics).toEqual([{ name: 'temperature', alias: 1, datatype: 'Double', value: 21 }]);
    const ddata = decode('spBv1.0/G/DDATA/E/D', {
      seq: 3,
      metrics: [{ alias: 2, type: 'Float', value: 41 }],
    });
    expect(ddata.device).toBe('D');
    expect(ddata.metrics[0]!.name).toBe('humidity');
    expect(warnings).toEqual([]);
  });

  it('forgets aliases at a new NBIRTH and warns about one it does not know', () => {
    const { decode, warnings } = session();
    decode('spBv1.0/G/NBIRTH/E', birth(0));
    decode('spBv1.0/G/NBIRTH/E', {
      seq: 0,
      metrics: [{ name: 'pressure', alias: 5, type: 'Double', value: 1 }],
    });
    const data = decode('spBv1.0/G/NDATA/E', { seq: 1, metrics: [{ alias: 1, type: 'Double', value: 3 }] });
    expect(data.metrics[0]!.name).toBeUndefined();
    expect(warnings).toEqual(['warning: spBv1.0/G/NDATA/E: alias 1 not in a BIRTH seen since mqx started']);
  });

  it('keeps edge nodes apart', () => {
    const { decode } = session();
    decode('spBv1.0/G/NBIRTH/A', birth(0));
    const other = decode('spBv1.0/G/NDATA/B', { seq: 0, metrics: [{ alias: 1, type: 'Double', value: 3 }] });
    expect(other.metrics[0]!.name).toBeUndefined();
  });

  it('warns about seq gaps and resets, wraps at 256, and starts over at NBIRTH', () => {
    const { decode, warnings } = session();
    const data = (seq: number) => decode('spBv1.0/G/NDATA/E', { seq, metrics: [] });
    decode('spBv1.0/G/NBIRTH/E', birth(0));
    data(1);
    data(3);
    data(0);
    expect(warnings).toEqual([
      'warning: spBv1.0/G/NDATA/E: seq gap: expected 2, got 3',
      'warning: spBv1.0/G/NDATA/E: seq reset to 0 (expected 4) without a new NBIRTH',
    ]);
    warnings.length = 0;
    decode('spBv1.0/G/NBIRTH/E', birth(254));
    data(255);
    data(0);
    decode('spBv1.0/G/NDEATH/E', { metrics: [{ name: 'bdSeq', type: 'Int64', value: 0 }] });
    decode('spBv1.0/G/NBIRTH/E', birth(0));
    data(1);
    expect(warnings).toEqual([]);
  });
});
