import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubscriptionRequest } from '../../src/protocol/types.js';
import { BUILT_IN } from '../../src/simulate/builtin.js';
import {
  type LinkRequest,
  type OpenLink,
  prepareSimulation,
  type SimulatedMessage,
  SimulationRun,
} from '../../src/simulate/run.js';
import { lines, startSub, text } from '../e2e/pubsub-helpers.js';
import { ROOT, type RunningBroker, runMqx, startMqxBroker, tempDir } from '../helpers/processes.js';

const PUMP = path.join(ROOT, 'examples/simulate/pump.js');

interface Sent {
  topic: string;
  payload: string;
  qos?: number;
  retain?: boolean;
}

/** Links that record what the run does with them, in one log across links, and deliver on demand. */
function recorder(codes: (subs: SubscriptionRequest[]) => number[] = (subs) => subs.map((s) => s.qos)) {
  const log: string[] = [];
  const sent: Sent[] = [];
  const requests: LinkRequest[] = [];
  const open: OpenLink = async (request) => {
    requests.push(request);
    const name = `link ${request.n ?? '-'}`;
    log.push(`${name} open${request.will ? ` will ${request.will.topic}` : ''}`);
    return {
      send: async (m: SimulatedMessage) => {
        sent.push({ ...m, payload: m.payload.toString() });
        log.push(`${name} send ${m.topic} ${m.payload.toString()}`);
      },
      subscribe: async (subs) => {
        log.push(`${name} subscribe ${subs.map((s) => `${s.topicFilter}@${s.qos}`).join(' ')}`);
        return codes(subs);
      },
      end: async (graceMs) => {
        log.push(`${name} end${graceMs === undefined ? '' : ` ${graceMs}`}`);
      },
      destroy: () => log.push(`${name} destroy`),
    };
  };
  /** A message from the broker on link i. */
  const deliver = (i: number, topic: string, payload = '') =>
    requests[i]!.onMessage({ topic, payload: Buffer.from(payload), qos: 1, retain: false });
  return { log, sent, open, deliver };
}

async function simulate(topics: string[], flags: Parameters<typeof prepareSimulation>[1]): Promise<Sent[]> {
  const r = recorder();
  await new SimulationRun(await prepareSimulation(topics, { interval: 0, ...flags }), r.open).run();
  return r.sent;
}

/** A scenario file in a temporary directory. */
function scenarioFile(source: string, name = 'device.mjs'): string {
  const file = path.join(tempDir(), name);
  writeFileSync(file, source);
  return file;
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
    expect(Object.keys(BUILT_IN).sort()).toEqual(['auto', 'humidity', 'sparkplug', 'temperature']);
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
    ['an unknown built-in', 'pressure', {}, /temperature, humidity, auto, sparkplug or a scenario file/],
    ['a missing file', './no-such-device.js', {}, /--simulate \.\/no-such-device\.js: /],
    ['a file exporting no function', 'export const x = 1;\n', {}, /export a function/],
    ['an object without next', 'export default { start() {} };\n', {}, /an object with one as next/],
    ['a hook that is no function', 'export default { next() {}, end: 1 };\n', {}, /end must be a function/],
    ['an unknown flag taken', 'export default { next() {}, flags: ["x"] };\n', {}, /flags must list/],
    ['a flag the scenario does not take', 'export default () => null;\n', { group: 'G' }, /--group does not/],
    ['a refusal of check()', 'export default { next() {}, check: () => "no way" };\n', {}, /^no way$/],
    ['a will and --will-topic', 'export default { next() {}, will() {} };\n', { will: true }, /own will/],
    ['no device', 'export default () => null;\n', { devices: 0 }, /--devices must be a positive/],
    ['a gateway with -1', 'export default { next() {}, gateway: true };\n', { devices: -1 }, /0 or more/],
  ])('%s is a usage error', async (_name, source, flags, message) => {
    const simulate = source.includes('export') ? scenarioFile(source) : source;
    await expect(prepareSimulation([], { simulate, ...flags })).rejects.toThrow(message);
  });

  it('the sensors need a topic; a file may name its own', async () => {
    await expect(prepareSimulation([], { simulate: 'auto' })).rejects.toThrow(/^no topic/);
    const file = scenarioFile('export default () => ({ topic: "own", payload: 1 });\n');
    await expect(prepareSimulation([], { simulate: file })).resolves.toMatchObject({ contexts: [{}] });
  });

  it('a message without a topic, when none was given, stops the run as a usage error', async () => {
    const file = scenarioFile('export default () => ({ payload: "x" });\n');
    await expect(simulate([], { simulate: file, count: 1 })).rejects.toThrow(/has no topic/);
  });

  it('CommonJS and named exports work as the default export does', async () => {
    const cjs = scenarioFile(
      'module.exports = { next: (ctx) => ({ topic: "c", payload: ctx.tick }) };\n',
      'c.cjs',
    );
    const named = scenarioFile('export const next = (ctx) => ({ topic: "n", payload: ctx.tick });\n');
    expect(await simulate([], { simulate: cjs, count: 2 })).toEqual([
      { topic: 'c', payload: '0' },
      { topic: 'c', payload: '1' },
    ]);
    expect((await simulate([], { simulate: named, count: 1 })).map((s) => s.topic)).toEqual(['n']);
  });
});

/** Every hook, logging its calls as messages on topic "log": the order they are made in shows. */
const LOGGING = `
const say = (ctx, what) => ({ topic: 'log/' + ctx.device, payload: what + ' ' + ctx.tick });
export default {
  subscribe: (ctx) => ['cmd/' + ctx.device, { filter: 'cmd/all', qos: 0 }],
  start: (ctx) => say(ctx, 'start'),
  next: (ctx) => say(ctx, 'next'),
  onMessage: (ctx, m) => say(ctx, 'heard ' + m.topic + ' ' + m.payload),
  end: (ctx) => [say(ctx, 'end'), say(ctx, 'bye')],
};
`;

describe('the object form', () => {
  it('subscribes first, then start(), the ticks, and end() before disconnecting', async () => {
    const r = recorder();
    const sim = await prepareSimulation([], {
      simulate: scenarioFile(LOGGING),
      devices: 2,
      count: 2,
      interval: 0,
    });
    await new SimulationRun(sim, r.open).run();
    expect(r.log).toEqual([
      'link - open',
      'link - subscribe cmd/1@1 cmd/all@0 cmd/2@1',
      'link - send log/1 start 0',
      'link - send log/2 start 0',
      'link - send log/1 next 0',
      'link - send log/2 next 0',
      'link - send log/1 next 1',
      'link - send log/2 next 1',
      'link - send log/1 end 1',
      'link - send log/1 bye 1',
      'link - send log/2 end 1',
      'link - send log/2 bye 1',
      'link - end',
    ]);
  });

  it('hands a message to the devices whose filters match it, and sends their replies', async () => {
    const r = recorder();
    const sim = await prepareSimulation([], { simulate: scenarioFile(LOGGING), devices: 2, interval: 0.02 });
    const run = new SimulationRun(sim, r.open);
    const done = run.run();
    await expect.poll(() => r.sent.some((s) => s.payload.startsWith('next'))).toBe(true);
    r.deliver(0, 'cmd/2', 'on');
    r.deliver(0, 'cmd/all', 'off');
    r.deliver(0, 'other', 'x');
    await expect.poll(() => r.sent.filter((s) => s.payload.startsWith('heard')).length).toBe(3);
    await run.interrupt();
    await done;
    const heard = r.sent.filter((s) => s.payload.startsWith('heard'));
    expect(heard.map((s) => `${s.topic} ${s.payload.replace(/ \d+$/, '')}`)).toEqual([
      'log/2 heard cmd/2 on',
      'log/1 heard cmd/all off',
      'log/2 heard cmd/all off',
    ]);
    // Ctrl-C: end() once, then the connection's own end with a short grace.
    expect(r.log.filter((l) => / send log\/\d (end|bye) /.test(l))).toHaveLength(4);
    expect(r.log.at(-1)).toBe('link - end 200');
  });

  it('a scenario with a will gets a connection per device, numbered, each with its own will', async () => {
    const r = recorder();
    const file = scenarioFile(`export default {
      will: (ctx) => ({ topic: 'dead/' + ctx.device, payload: 'gone' }),
      subscribe: (ctx) => ['cmd/' + ctx.device],
      next: () => null,
      onMessage: (ctx) => ({ topic: 'ack/' + ctx.device, payload: 'ok' }),
    };\n`);
    const run = new SimulationRun(
      await prepareSimulation([], { simulate: file, devices: 2, count: 1 }),
      r.open,
    );
    await run.run();
    expect(r.log.filter((l) => /open|subscribe/.test(l))).toEqual([
      'link 1 open will dead/1',
      'link 2 open will dead/2',
      'link 1 subscribe cmd/1@1',
      'link 2 subscribe cmd/2@1',
    ]);
  });

  it('a refused subscription fails the run before any message', async () => {
    const r = recorder((subs) => subs.map(() => 0x87));
    const sim = await prepareSimulation([], { simulate: scenarioFile(LOGGING), count: 1 });
    await expect(new SimulationRun(sim, r.open).run()).rejects.toThrow(/subscription to cmd\/1 refused/);
    expect(r.sent).toEqual([]);
  });

  it('a bad reply fails the run even while it waits for the next tick', async () => {
    const r = recorder();
    const file = scenarioFile(`export default {
      subscribe: () => ['cmd'],
      next: () => ({ topic: 'ok', payload: 1 }),
      onMessage: () => ({ topic: 'bad/#', payload: 1 }),
    };\n`);
    const run = new SimulationRun(await prepareSimulation([], { simulate: file, interval: 3600 }), r.open);
    const done = run.run();
    await expect.poll(() => r.sent.length).toBe(1);
    r.deliver(0, 'cmd');
    await expect(done).rejects.toThrow(/--simulate: .*wildcard/i);
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
    const file = scenarioFile(
      'export default (ctx) => ({ topic: "sim/" + ctx.device, payload: { tick: ctx.tick }, qos: 2, retain: ctx.tick === 0 });\n',
      'counter.js',
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
