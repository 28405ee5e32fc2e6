/**
 * A scenario file in the object form (examples/simulate/lamp.js) run over real MQTT clients, the
 * way `mqx pub --simulate` runs it, against an mqx broker in this process: it hears commands on
 * its filters and answers, says goodbye at a clean end and at Ctrl-C, and leaves its will when it
 * vanishes. The binary's own wiring (Ctrl-C, exit 130) is the last test.
 */
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { clientLinks } from '../../src/simulate/client-link.js';
import { prepareSimulation, SimulationRun } from '../../src/simulate/run.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { MQX_BIN, ROOT } from '../helpers/processes.js';

const LAMP = path.join(ROOT, 'examples/simulate/lamp.js');

describe('a scenario over MQTT clients', () => {
  let broker: InProcessBroker;
  let observer: Client;
  let seen: string[] = [];
  const runs: SimulationRun[] = [];
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    for (const run of runs.splice(0)) run.destroy();
    await observer?.end();
    seen = [];
  });
  afterAll(() => broker?.stop());

  /** Watches home/lamp/# with a fresh session, so retained messages of another test show as such. */
  async function watch(): Promise<void> {
    observer = new Client({ broker: { scheme: 'mqtt', host: '127.0.0.1', port: broker.port } });
    observer.on('message', (p) =>
      seen.push(`${p.topic} ${p.payload.toString()}${p.retain ? ' (retained)' : ''}`),
    );
    await observer.connect();
    await observer.subscribe([{ topicFilter: 'home/lamp/#', qos: 1 }]);
  }

  async function lamps(flags: { devices: number; count?: number; clientId?: string }) {
    const sim = await prepareSimulation([], { simulate: LAMP, interval: 0.02, seed: 3, ...flags });
    const run = new SimulationRun(
      sim,
      clientLinks({
        client: {
          broker: { scheme: 'mqtt', host: '127.0.0.1', port: broker.port },
          ...(flags.clientId ? { clientId: flags.clientId } : {}),
        },
        defaults: { qos: 0, retain: false },
        encode: undefined,
        sent: { count: 0 },
        connect: (client) => client.connect(),
      }),
    );
    runs.push(run);
    return { run, done: run.run() };
  }

  const live = (topic: string) => seen.filter((s) => s.startsWith(`${topic} `) && !s.endsWith('(retained)'));

  it('answers a command on its own filter only, and says goodbye at Ctrl-C, not with its will', async () => {
    await watch();
    const { run, done } = await lamps({ devices: 2, clientId: 'lamp' });
    await expect.poll(() => live('home/lamp/2/status')).toEqual(['home/lamp/2/status ready']);
    await expect.poll(() => live('home/lamp/1/state')).toEqual(['home/lamp/1/state off']);
    await observer.publish('home/lamp/2/set', 'on', { qos: 1 });
    await expect
      .poll(() => live('home/lamp/2/state'))
      .toEqual(['home/lamp/2/state off', 'home/lamp/2/state on']);
    await expect.poll(() => live('home/lamp/2/power').length).toBeGreaterThan(1);
    expect(JSON.parse(live('home/lamp/2/power')[0]!.split(' ')[1]!)).toMatchObject({
      watts: expect.any(Number),
    });
    // The other lamp heard nothing: still off, no power readings.
    expect(live('home/lamp/1/state')).toEqual(['home/lamp/1/state off']);
    expect(live('home/lamp/1/power')).toEqual([]);
    // Two connections (one will each), both alive: -i lamp became lamp-1 and lamp-2.
    expect([...broker.broker.sessions.keys()].filter((id) => id.startsWith('lamp')).sort()).toEqual([
      'lamp-1',
      'lamp-2',
    ]);
    await run.interrupt();
    await done;
    for (const d of [1, 2])
      await expect
        .poll(() => live(`home/lamp/${d}/status`).at(-1))
        .toBe(`home/lamp/${d}/status disconnected`);
    expect(seen.filter((s) => s.includes(' lost'))).toEqual([]);
  });

  it('sends its end() messages at a clean end, after --count ticks', async () => {
    await watch();
    const { done } = await lamps({ devices: 1, count: 3 });
    await done;
    await expect
      .poll(() => live('home/lamp/1/status'))
      .toEqual(['home/lamp/1/status ready', 'home/lamp/1/status disconnected']);
  });

  it('leaves its will when its connection is lost', async () => {
    await watch();
    const { run } = await lamps({ devices: 2 });
    for (const d of [1, 2])
      await expect.poll(() => live(`home/lamp/${d}/status`)).toEqual([`home/lamp/${d}/status ready`]);
    run.destroy();
    for (const d of [1, 2])
      await expect
        .poll(() => live(`home/lamp/${d}/status`))
        .toEqual([`home/lamp/${d}/status ready`, `home/lamp/${d}/status lost`]);
  });
});

describe('mqx pub --simulate with the object form', () => {
  let broker: InProcessBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(() => broker?.stop());

  it('answers, and at Ctrl-C sends its end() messages and exits 130', async () => {
    const seen: string[] = [];
    const observer = new Client({ broker: { scheme: 'mqtt', host: '127.0.0.1', port: broker.port } });
    observer.on('message', (p) => seen.push(`${p.topic} ${p.payload.toString()}`));
    await observer.connect();
    await observer.subscribe([{ topicFilter: 'home/lamp/1/#', qos: 1 }]);
    const pub = execa(
      'node',
      [
        MQX_BIN,
        'pub',
        '-h',
        '127.0.0.1',
        '-p',
        String(broker.port),
        '--simulate',
        LAMP,
        '--interval',
        '0.05',
      ],
      {
        reject: false,
        stdin: 'ignore',
        env: { NO_COLOR: '1' },
        timeout: 30_000,
      },
    );
    try {
      await expect.poll(() => seen, { timeout: 10_000 }).toContain('home/lamp/1/status ready');
      await observer.publish('home/lamp/1/set', 'toggle', { qos: 1 });
      await expect.poll(() => seen).toContain('home/lamp/1/state on');
      pub.kill('SIGINT');
      expect((await pub).exitCode).toBe(130);
      await expect.poll(() => seen.at(-1)).toBe('home/lamp/1/status disconnected');
      expect(seen).not.toContain('home/lamp/1/status lost');
    } finally {
      pub.kill('SIGKILL');
      await observer.end();
    }
  });
});
