/**
 * `mqx record` on one broker, `mqx replay` into another: a mixed stream (text and binary payloads,
 * retained messages, QoS 0/1/2, MQTT 5 properties) published by MQTT.js comes out of the second
 * broker to an MQTT.js subscriber as the same messages, in the same order, with the same spacing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import mqtt, { type IClientPublishOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLine, type RecordedMessage } from '../../src/record/format.js';
import { peers } from '../helpers/peers.js';
import {
  MQX_BIN,
  type RunningBroker,
  runMqx,
  startMosquitto,
  startMqxBroker,
  tempDir,
} from '../helpers/processes.js';

interface Sent {
  /** ms after the previous message */
  gap: number;
  topic: string;
  payload: Buffer;
  options: IClientPublishOptions;
}

const STREAM: Sent[] = [
  { gap: 0, topic: 'rec/text', payload: Buffer.from('temperature: 21.5'), options: { qos: 0 } },
  { gap: 500, topic: 'rec/bin', payload: Buffer.from([0xff, 0, 0xfe, 0x80, 10]), options: { qos: 1 } },
  { gap: 600, topic: 'rec/retained', payload: Buffer.from('kept'), options: { qos: 1, retain: true } },
  {
    gap: 400,
    topic: 'rec/props',
    payload: Buffer.from('{"v":1}'),
    options: {
      qos: 2,
      properties: {
        contentType: 'application/json',
        payloadFormatIndicator: true,
        responseTopic: 'rec/reply',
        correlationData: Buffer.from([9, 8, 7]),
        userProperties: { site: 'north' },
      },
    },
  },
  { gap: 800, topic: 'rec/bin', payload: Buffer.from([0xc3, 0x28]), options: { qos: 2, retain: true } },
  { gap: 450, topic: 'rec/empty', payload: Buffer.alloc(0), options: { qos: 1 } },
  { gap: 700, topic: 'rec/text', payload: Buffer.from('temperature: 22.0'), options: { qos: 0 } },
];

interface Got {
  at: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  properties: Record<string, unknown>;
}

function collect(client: MqttClient): Got[] {
  const got: Got[] = [];
  client.on('message', (topic, payload, packet) => {
    got.push({
      at: performance.now(),
      topic,
      payload: Buffer.from(payload),
      qos: packet.qos,
      retain: packet.retain,
      properties: { ...(packet.properties ?? {}) },
    });
  });
  return got;
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `mqx record` in the background, resolved once it says it is recording. */
async function startRecord(args: string[]): Promise<{ proc: ResultPromise; stderr: () => string }> {
  const proc = execa('node', [MQX_BIN, 'record', ...args], {
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1' },
    timeout: 60_000,
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    proc.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('recording ')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`mqx record exited with ${code}: ${err}`)));
  });
  return { proc, stderr: () => err };
}

async function clearRetained(broker: RunningBroker, ...topics: string[]): Promise<void> {
  for (const t of topics)
    await runMqx(['pub', '-h', '127.0.0.1', '-p', String(broker.port), '-t', t, '-n', '-r']);
}

const readLines = (file: string): RecordedMessage[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l, i) => decodeLine(l, `${file}:${i + 1}`));

describe('mqx record and mqx replay', () => {
  let source: RunningBroker;
  let target: RunningBroker;
  const dir = tempDir('mqx-record-');
  const file = path.join(dir, 'stream.jsonl');
  beforeAll(async () => {
    source = await startMqxBroker();
    target = peers.mosquitto() ? await startMosquitto() : await startMqxBroker();
  });
  afterAll(async () => {
    await source?.stop();
    await target?.stop();
  });

  it('records a mixed MQTT 5 stream: every message, in order, binary-safe, with its properties', async () => {
    const record = await startRecord([
      'rec/#',
      '-h',
      '127.0.0.1',
      '-p',
      String(source.port),
      '-V',
      '5',
      '-o',
      file,
      '-C',
      String(STREAM.length),
    ]);
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${source.port}`, { protocolVersion: 5 });
    for (const m of STREAM) {
      await new Promise((r) => setTimeout(r, m.gap));
      await pub.publishAsync(m.topic, m.payload, m.options);
    }
    // Clear the retained ones on the source broker: the recording has them.
    await pub.publishAsync('rec/retained', '', { retain: true });
    await pub.publishAsync('rec/bin', '', { retain: true });
    await pub.endAsync();
    const r = await record.proc;
    expect(r.exitCode).toBe(0);
    expect(record.stderr()).toMatch(
      /^7 messages \(2 retained, \d+ payload bytes\) over \d+\.\d s recorded to /m,
    );

    const lines = readLines(file);
    expect(lines.map((l) => [l.topic, l.payload.toString('hex'), l.qos, l.retain])).toEqual(
      STREAM.map((m) => [m.topic, m.payload.toString('hex'), m.options.qos, m.options.retain ?? false]),
    );
    expect(lines[3]!.properties).toEqual({
      contentType: 'application/json',
      payloadFormatIndicator: 1,
      responseTopic: 'rec/reply',
      correlationData: Buffer.from([9, 8, 7]),
      userProperties: [['site', 'north']],
    });
    expect(readFileSync(file, 'utf8')).toMatch(/^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/);
  });

  it('replays it into another broker: same messages, same order, spacing within 10% at --speed 1', async () => {
    const recorded = readLines(file);
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${target.port}`, { protocolVersion: 5 });
    const got = collect(sub);
    await sub.subscribeAsync('rec/#', { qos: 2, rap: true });
    const r = await runMqx([
      'replay',
      file,
      '-h',
      '127.0.0.1',
      '-p',
      String(target.port),
      '-V',
      '5',
      '--speed',
      '1',
    ]);
    expect(Buffer.from(r.stderr).toString()).toMatch(/^7 messages replayed in \d+\.\d s$/);
    expect(r.exitCode).toBe(0);
    await until(() => got.length >= recorded.length);
    await sub.endAsync();
    await clearRetained(target, 'rec/retained', 'rec/bin');

    expect(got.map((g) => [g.topic, g.payload.toString('hex'), g.qos, g.retain])).toEqual(
      recorded.map((m) => [m.topic, m.payload.toString('hex'), m.qos, m.retain]),
    );
    expect(got[3]!.properties).toMatchObject({
      contentType: 'application/json',
      payloadFormatIndicator: true,
      responseTopic: 'rec/reply',
      correlationData: Buffer.from([9, 8, 7]),
      userProperties: { site: 'north' },
    });
    const deviations = recorded.slice(1).map((m, i) => {
      const recordedGap = m.timeMs - recorded[i]!.timeMs;
      const replayedGap = got[i + 1]!.at - got[i]!.at;
      return { recordedGap, replayedGap, off: Math.abs(replayedGap - recordedGap) / recordedGap };
    });
    console.log(
      `[replay] gaps recorded/replayed (ms): ${deviations.map((d) => `${d.recordedGap}/${d.replayedGap.toFixed(1)}`).join(' ')}`,
    );
    for (const d of deviations) expect(d.off, JSON.stringify(d)).toBeLessThan(0.1);
  });

  it('--speed 4 --topic-prefix: a quarter of the time, under the prefix', async () => {
    const recorded = readLines(file);
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${target.port}`, { protocolVersion: 5 });
    const got = collect(sub);
    await sub.subscribeAsync('fast/#', { qos: 2 });
    const r = await runMqx([
      'replay',
      file,
      '-p',
      String(target.port),
      '-h',
      '127.0.0.1',
      '-V',
      '5',
      '--speed',
      '4',
      '--topic-prefix',
      'fast/',
    ]);
    expect(r.exitCode).toBe(0);
    await until(() => got.length >= recorded.length);
    await sub.endAsync();
    await clearRetained(target, 'fast/rec/retained', 'fast/rec/bin');
    expect(got.map((g) => g.topic)).toEqual(recorded.map((m) => `fast/${m.topic}`));
    const span = recorded.at(-1)!.timeMs - recorded[0]!.timeMs;
    const replayed = got.at(-1)!.at - got[0]!.at;
    expect(replayed).toBeGreaterThan((span / 4) * 0.9);
    expect(replayed).toBeLessThan((span / 4) * 1.1);
  });

  it('--loop --as-fast-as-possible until Ctrl-C: totals on stderr, exit 130', async () => {
    const proc = execa(
      'node',
      [
        MQX_BIN,
        'replay',
        file,
        '-p',
        String(target.port),
        '-h',
        '127.0.0.1',
        '--loop',
        '--as-fast-as-possible',
      ],
      { reject: false, stdin: 'ignore', env: { NO_COLOR: '1' }, timeout: 30_000 },
    );
    await new Promise((r) => setTimeout(r, 1_500));
    proc.kill('SIGINT');
    const r = await proc;
    expect(r.exitCode).toBe(130);
    const m = /^(\d+) messages replayed in (\d+) passes in \d+\.\d s$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(1);
    await clearRetained(target, 'rec/retained', 'rec/bin');
  });

  it('record until Ctrl-C: the file holds every line, totals on stderr, exit 130', async () => {
    const out = path.join(dir, 'interrupted.jsonl');
    const record = await startRecord([
      '-t',
      'int/#',
      '-h',
      '127.0.0.1',
      '-p',
      String(source.port),
      '-o',
      out,
    ]);
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${source.port}`);
    for (let i = 0; i < 50; i++) await pub.publishAsync(`int/${i}`, `m${i}`, { qos: 1 });
    await pub.endAsync();
    await new Promise((r) => setTimeout(r, 200));
    record.proc.kill('SIGINT');
    const r = await record.proc;
    expect(r.exitCode).toBe(130);
    expect(record.stderr()).toMatch(/^50 messages \(0 retained, \d+ payload bytes\) over/m);
    expect(readLines(out).map((l) => l.payload.toString())).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    );
  });

  it.each([
    ['a missing file', ['replay', '/nonexistent.jsonl'], /ENOENT/],
    ['a bad line', ['replay', 'BAD'], /bad\.jsonl:2: not a JSON line/],
    ['record without -o', ['record', 'a/#'], /-o FILE/],
    ['a wildcard prefix', ['replay', 'FILE', '--topic-prefix', 'a/+/'], /--topic-prefix/],
  ])('%s is a usage error (exit 2)', async (_name, args, message) => {
    const bad = path.join(dir, 'bad.jsonl');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, '{"time":"2026-01-01T00:00:00.000Z","topic":"t","payload":"x"}\n{oops\n');
    const argv = args.map((a) => (a === 'BAD' ? bad : a === 'FILE' ? file : a));
    const r = await runMqx([...argv, '-p', String(target.port)]);
    expect(r.exitCode).toBe(2);
    expect(Buffer.from(r.stderr).toString()).toMatch(message);
  });
});
