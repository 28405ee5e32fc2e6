import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN } from '../../src/simulate/builtin.js';
import { prepareSimulation, runSimulation } from '../../src/simulate/run.js';
import { lines, startSub, text } from '../e2e/pubsub-helpers.js';
import { ROOT, type RunningBroker, runMqx, startMqxBroker, tempDir } from '../helpers/processes.js';

const PUMP = path.join(ROOT, 'examples/simulate/pump.js');

interface Sent {
  topic: string;
  payload: string;
  qos?: number;
  retain?: boolean;
}

async function simulate(topics: string[], flags: Parameters<typeof prepareSimulation>[1]): Promise<Sent[]> {
  const sent: Sent[] = [];
  const sim = prepareSimulation(topics, { interval: 0, ...flags });
  await runSimulation(sim, async (topic, payload, options) => {
    sent.push({ topic, payload: payload.toString(), ...options });
  });
  return sent;
}

describe('--simulate scenarios', () => {
  it('the example scenario file: devices, retained state changes at QoS 1, JSON flow readings', async () => {
    const sent = await simulate([], { simulate: PUMP, devices: 3, count: 20, seed: 5 });
    const topics = new Set(sent.map((s) => s.topic));
    for (const d of [1, 2, 3]) expect(topics).toContain(`plant/pump/${d}/state`);
    const states = sent.filter((s) => s.topic.endsWith('/state'));
    expect(states.every((s) => s.qos === 1 && s.retain === true)).toBe(true);
    expect(states.every((s) => s.payload === 'running' || s.payload === 'stopped')).toBe(true);
    const flows = sent.filter((s) => s.topic.endsWith('/flow'));
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows)
      expect(JSON.parse(f.payload)).toMatchObject({ unit: 'm3/h', flow: expect.any(Number) });
    // Reproducible: the same seed, the same run (timestamps aside).
    const strip = (s: Sent[]) => s.map((m) => ({ ...m, payload: m.payload.replace(/"ts":"[^"]+"/, '') }));
    const again = await simulate([], { simulate: PUMP, devices: 3, count: 20, seed: 5 });
    expect(strip(again)).toEqual(strip(sent));
  });

  it('the built-ins are scenarios too: auto picks the sensor by topic, one reading per device and tick', async () => {
    expect(Object.keys(BUILT_IN).sort()).toEqual(['auto', 'humidity', 'temperature']);
    const sent = await simulate(['room/%i/humidity', 'room/%i/temp'], {
      simulate: 'auto',
      devices: 2,
      count: 3,
      seed: 1,
    });
    expect(sent).toHaveLength(12);
    expect(sent.slice(0, 4).map((s) => s.topic)).toEqual([
      'room/1/humidity',
      'room/2/humidity',
      'room/1/temp',
      'room/2/temp',
    ]);
    expect(
      sent.filter((s) => s.topic.endsWith('humidity')).every((s) => /^humidity: \d+(\.\d)?$/.test(s.payload)),
    ).toBe(true);
    expect(
      sent.filter((s) => s.topic.endsWith('temp')).every((s) => /^temperature: \d+(\.\d)?$/.test(s.payload)),
    ).toBe(true);
    expect(sent.every((s) => s.qos === undefined && s.retain === undefined)).toBe(true);
  });

  it.each([
    ['an unknown built-in', 'pressure', /temperature, humidity, auto or a scenario file/],
    ['a missing file', './no-such-device.js', /--simulate \.\/no-such-device\.js: /],
    ['a file exporting no function', 'NOFN', /export a function/],
  ])('%s is a usage error', (_name, name, message) => {
    const dir = tempDir();
    const nofn = path.join(dir, 'nofn.mjs');
    writeFileSync(nofn, 'export const x = 1;\n');
    expect(() => prepareSimulation(['t'], { simulate: name === 'NOFN' ? nofn : name })).toThrow(message);
  });

  it('a message without a topic, when none was given, stops the run as a usage error', async () => {
    const file = path.join(tempDir(), 'untopical.mjs');
    writeFileSync(file, 'export default () => ({ payload: "x" });\n');
    await expect(simulate([], { simulate: file, count: 1 })).rejects.toThrow(/has no topic/);
  });
});

describe('mqx pub --simulate FILE', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startMqxBroker();
  });
  afterAll(() => broker?.stop());

  it('publishes what the scenario file returns, with its QoS and retain flag', async () => {
    const p = ['-h', '127.0.0.1', '-p', String(broker.port)];
    const file = path.join(tempDir(), 'counter.js');
    writeFileSync(
      file,
      'export default (ctx) => ({ topic: "sim/" + ctx.device, payload: { tick: ctx.tick }, qos: 2, retain: ctx.tick === 0 });\n',
    );
    const sub = await startSub([...p, '-t', 'sim/#', '-C', '4', '-q', '2', '-F', '%t %q %r %p']);
    const pub = await runMqx([
      'pub',
      ...p,
      '--simulate',
      file,
      '--devices',
      '2',
      '--count',
      '2',
      '--interval',
      '0',
    ]);
    expect(text(pub.stderr)).toBe('');
    expect(pub.exitCode).toBe(0);
    expect(await sub.done()).toBe(0);
    expect(lines(sub.stdout()).sort()).toEqual([
      'sim/1 2 0 {"tick":0}',
      'sim/1 2 0 {"tick":1}',
      'sim/2 2 0 {"tick":0}',
      'sim/2 2 0 {"tick":1}',
    ]);
  });
});
