import sparkplugPayload from 'sparkplug-payload';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSparkplug } from '../../src/payload/sparkplug/proto.js';
import { seededRandom } from '../../src/simulate/sensors.js';
import { EdgeNode, type Outgoing } from '../../src/simulate/sparkplug-edge.js';

const tahu = sparkplugPayload.get('spBv1.0')!;

beforeAll(loadSparkplug);

const node = (seed = 1, devices = 2) =>
  new EdgeNode({ group: 'G', edge: 'E', devices, random: seededRandom(seed), bdSeq: 4 });
const read = (m: Outgoing) => ({ topic: m.topic, ...tahu.decodePayload(m.payload) });

describe('the simulated Sparkplug edge node', () => {
  it('births the node then each device, every metric named, aliased and typed', () => {
    const [nbirth, ...dbirths] = node().birth(new Date(1_700_000_000_000)).map(read);
    expect(nbirth!.topic).toBe('spBv1.0/G/NBIRTH/E');
    expect(Number(nbirth!.seq)).toBe(0);
    expect(Number(nbirth!.timestamp)).toBe(1_700_000_000_000);
    expect(nbirth!.metrics!.map((m) => [m.name, m.type])).toEqual([
      ['bdSeq', 'Int64'],
      ['Node Control/Rebirth', 'Boolean'],
      ['temperature', 'Double'],
      ['humidity', 'Double'],
    ]);
    expect(Number(nbirth!.metrics![0]!.value)).toBe(4);
    expect(dbirths.map((d) => [d.topic, Number(d.seq)])).toEqual([
      ['spBv1.0/G/DBIRTH/E/device-1', 1],
      ['spBv1.0/G/DBIRTH/E/device-2', 2],
    ]);
    const aliases = [nbirth!, ...dbirths].flatMap((b) =>
      b.metrics!.filter((m) => m.alias !== undefined).map((m) => Number(m.alias)),
    );
    expect(new Set(aliases).size).toBe(aliases.length); // unique across the edge node
  });

  it('sends readings by alias only, with aliases from the births and seq wrapping at 256', () => {
    const n = node();
    const births = n.birth(new Date()).map(read);
    const known = new Map(
      births.flatMap((b) =>
        b.metrics!.map((m) => [`${b.topic.split('/')[4] ?? ''}:${Number(m.alias)}`, m.name]),
      ),
    );
    const seqs: number[] = births.map((b) => Number(b.seq));
    for (let round = 0; round < 100; round++) {
      for (const m of n.data(new Date()).map(read)) {
        const device = m.topic.split('/')[4] ?? '';
        expect(m.topic).toMatch(device ? /^spBv1\.0\/G\/DDATA\/E\/device-\d$/ : /^spBv1\.0\/G\/NDATA\/E$/);
        for (const metric of m.metrics!) {
          expect(metric.name).toBeUndefined();
          expect(['temperature', 'humidity']).toContain(known.get(`${device}:${Number(metric.alias)}`));
          expect(metric.type).toBe('Double');
        }
        seqs.push(Number(m.seq));
      }
    }
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i % 256));
    expect(seqs.length).toBeGreaterThan(256);
  });

  it('is reproducible with a seed', () => {
    const values = (seed: number) =>
      node(seed)
        .data(new Date(0))
        .map((m) => read(m).metrics!.map((x) => x.value));
    expect(values(9)).toEqual(values(9));
    expect(values(9)).not.toEqual(values(10));
  });

  it('dies with its bdSeq and no seq', () => {
    const death = read(node().death(new Date()));
    expect(death.topic).toBe('spBv1.0/G/NDEATH/E');
    expect(death.seq).toBeUndefined();
    expect(death.metrics!.map((m) => [m.name, Number(m.value)])).toEqual([['bdSeq', 4]]);
  });

  it('hears a rebirth request by name or by alias, and only when true', () => {
    const n = node();
    const ncmd = (metric: object) => tahu.encodePayload({ timestamp: 1, metrics: [metric as never] });
    expect(n.wantsRebirth(ncmd({ name: 'Node Control/Rebirth', type: 'Boolean', value: true }))).toBe(true);
    expect(n.wantsRebirth(ncmd({ alias: 1, type: 'Boolean', value: true }))).toBe(true);
    expect(n.wantsRebirth(ncmd({ name: 'Node Control/Rebirth', type: 'Boolean', value: false }))).toBe(false);
    expect(n.wantsRebirth(Buffer.from('rebirth'))).toBe(false);
  });
});
