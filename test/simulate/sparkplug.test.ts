/**
 * `mqx pub --simulate sparkplug` end to end: its traffic through Debian's mosquitto, collected by
 * MQTT.js and decoded by Eclipse Tahu, is valid Sparkplug B (BIRTH before DATA, aliases from the
 * BIRTHs, seq in order), it rebirths on an NCMD, and its will is the NDEATH.
 */
import { execa, type ResultPromise } from 'execa';
import mqtt from 'mqtt';
import sparkplugPayload from 'sparkplug-payload';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { text } from '../e2e/pubsub-helpers.js';
import { peers } from '../helpers/peers.js';
import { MQX_BIN, type RunningBroker, runMqx, startMosquitto } from '../helpers/processes.js';

const tahu = sparkplugPayload.get('spBv1.0')!;

interface Seen {
  topic: string;
  type: string;
  seq: number | undefined;
  metrics: Array<{ name?: string | null; alias?: unknown; value?: unknown }>;
}

describe.runIf(peers.mosquitto())('mqx pub --simulate sparkplug', () => {
  let broker: RunningBroker;
  let host: mqtt.MqttClient;
  let seen: Seen[] = [];
  let node: ResultPromise | undefined;
  beforeAll(async () => {
    broker = await startMosquitto();
    host = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    host.on('message', (topic, payload) => {
      const p = tahu.decodePayload(payload);
      seen.push({
        topic,
        type: topic.split('/')[2]!,
        seq: p.seq === undefined || p.seq === null ? undefined : Number(p.seq),
        metrics: p.metrics ?? [],
      });
    });
    await host.subscribeAsync('spBv1.0/Course/#', { qos: 1 });
  });
  afterEach(async () => {
    if (node && node.exitCode === null) node.kill('SIGKILL');
    await node?.catch(() => undefined);
    node = undefined;
    seen = [];
  });
  afterAll(async () => {
    await host?.endAsync();
    await broker?.stop();
  });

  const start = (args: string[]) => {
    node = execa(
      'node',
      [MQX_BIN, 'pub', '-p', String(broker.port), '--simulate', 'sparkplug', '--group', 'Course', ...args],
      {
        reject: false,
        stdin: 'ignore',
        env: { NO_COLOR: '1' },
        timeout: 30_000,
      },
    );
    return node;
  };

  /** Every DATA names its metrics by aliases of the BIRTHs before it; seq counts from 0 at each NBIRTH. */
  function expectValidSparkplug(messages: Seen[]) {
    const aliases = new Map<string, Set<number>>();
    let expected: number | undefined;
    for (const m of messages) {
      const device = m.topic.split('/')[4] ?? '';
      if (m.type === 'NBIRTH') {
        aliases.clear();
        expect(m.seq).toBe(0);
        expected = 0;
      }
      if (m.type === 'NCMD') continue; // the host's own, sent to the node
      if (m.type === 'NDEATH') {
        expect(m.seq).toBeUndefined();
        continue;
      }
      if (m.type === 'NBIRTH' || m.type === 'DBIRTH')
        aliases.set(
          device,
          new Set(m.metrics.filter((x) => x.alias !== undefined).map((x) => Number(x.alias))),
        );
      if (m.type === 'NDATA' || m.type === 'DDATA') {
        expect(aliases.has(device)).toBe(true);
        for (const metric of m.metrics) expect(aliases.get(device)!.has(Number(metric.alias))).toBe(true);
      }
      expect(m.seq).toBe(expected);
      expected = (expected! + 1) % 256;
    }
  }

  it('births, sends readings in order, and ends with an NDEATH', async () => {
    const r = await start([
      '--edge',
      'E1',
      '--devices',
      '2',
      '--count',
      '3',
      '--interval',
      '0',
      '--seed',
      '5',
    ]);
    expect(r.exitCode).toBe(0);
    await expect.poll(() => seen.at(-1)?.type).toBe('NDEATH');
    expect(seen.map((m) => m.type)).toEqual([
      'NBIRTH',
      'DBIRTH',
      'DBIRTH',
      ...Array.from({ length: 3 }, () => ['NDATA', 'DDATA', 'DDATA']).flat(),
      'NDEATH',
    ]);
    expectValidSparkplug(seen);
    const bdSeq = (m: Seen) => Number(m.metrics.find((x) => x.name === 'bdSeq')!.value);
    expect(bdSeq(seen.at(-1)!)).toBe(bdSeq(seen[0]!));
  });

  it('rebirths on NCMD Node Control/Rebirth, and its will is the NDEATH', async () => {
    start(['--edge', 'E2', '--interval', '0.05']);
    await expect
      .poll(() => seen.filter((m) => m.type === 'NDATA').length, { timeout: 10_000 })
      .toBeGreaterThan(2);
    const ncmd = tahu.encodePayload({
      timestamp: Date.now(),
      metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
    });
    await host.publishAsync('spBv1.0/Course/NCMD/E2', Buffer.from(ncmd), { qos: 1 });
    await expect.poll(() => seen.filter((m) => m.type === 'NBIRTH').length, { timeout: 10_000 }).toBe(2);
    const rebirth = seen.findLastIndex((m) => m.type === 'NBIRTH');
    await expect.poll(() => seen.slice(rebirth).some((m) => m.type === 'NDATA')).toBe(true);
    node!.kill('SIGKILL');
    await expect.poll(() => seen.at(-1)?.type, { timeout: 10_000 }).toBe('NDEATH');
    expectValidSparkplug(seen);
  });

  it('sends its NDEATH itself when interrupted, and exits 130', async () => {
    const proc = start(['--edge', 'E3', '--interval', '0.05']);
    await expect.poll(() => seen.some((m) => m.type === 'NDATA'), { timeout: 10_000 }).toBe(true);
    proc.kill('SIGINT');
    expect((await proc).exitCode).toBe(130);
    await expect.poll(() => seen.at(-1)?.type).toBe('NDEATH');
    expect(seen.filter((m) => m.type === 'NDEATH')).toHaveLength(1); // not the will as well
  });

  it('needs --group and --edge, and takes no topic', async () => {
    const port = String(broker.port);
    const noEdge = await runMqx(['pub', '-p', port, '--simulate', 'sparkplug', '--group', 'G']);
    expect(noEdge.exitCode).toBe(2);
    expect(text(noEdge.stderr)).toMatch(/needs --edge/);
    const topic = await runMqx([
      'pub',
      '-p',
      port,
      't',
      '--simulate',
      'sparkplug',
      '--group',
      'G',
      '--edge',
      'E',
    ]);
    expect(topic.exitCode).toBe(2);
    expect((await runMqx(['pub', '-p', port, '-t', 't', '-m', 'x', '--group', 'G'])).exitCode).toBe(2);
  });
});
