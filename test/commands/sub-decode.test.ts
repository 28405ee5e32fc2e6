/**
 * `mqx sub --decode` end to end: messages published by MQTT.js through Debian's mosquitto, the
 * Sparkplug ones encoded by Eclipse Tahu's own library.
 */
import { deflateSync } from 'node:zlib';
import mqtt from 'mqtt';
import sparkplugPayload from 'sparkplug-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, startSub, text } from '../e2e/pubsub-helpers.js';
import { peers } from '../helpers/peers.js';
import { type RunningBroker, runMqx, startMosquitto } from '../helpers/processes.js';

const tahu = sparkplugPayload.get('spBv1.0')!;

const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning:'));

describe.runIf(peers.mosquitto())('mqx sub --decode', () => {
  let broker: RunningBroker;
  let peer: mqtt.MqttClient;
  beforeAll(async () => {
    broker = await startMosquitto();
    peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await peer?.endAsync();
    await broker?.stop();
  });

  const publish = async (messages: Array<[string, Uint8Array | string]>) => {
    for (const [topic, payload] of messages) await peer.publishAsync(topic, Buffer.from(payload), { qos: 1 });
  };

  it('auto --json: metric names from the NBIRTH, one type per datatype, seq gaps, STATE, compression', async () => {
    const sub = await startSub([
      '-p',
      String(broker.port),
      'spBv1.0/#',
      '--decode',
      'auto',
      '--json',
      '-C',
      '5',
    ]);
    const nbirth = tahu.encodePayload({
      timestamp: 1_700_000_000_000,
      seq: 0,
      metrics: [
        { name: 'bdSeq', type: 'Int64', value: 1 },
        { name: 'temperature', alias: 1, type: 'Double', value: 20.5 },
        { name: 'counter', alias: 2, type: 'UInt64', value: 7 },
      ],
    });
    const ndata = (seq: number, temperature: number) =>
      tahu.encodePayload({
        timestamp: 1_700_000_001_000,
        seq,
        metrics: [
          { alias: 1, type: 'Double', value: temperature },
          { alias: 2, type: 'UInt64', value: seq },
        ] as never,
      });
    const compressed = tahu.encodePayload({
      uuid: 'SPBV1.0_COMPRESSED',
      body: deflateSync(ndata(4, 23)),
      metrics: [{ name: 'algorithm', type: 'String', value: 'DEFLATE' }],
    });
    await publish([
      ['spBv1.0/Plant/NBIRTH/Edge1', nbirth],
      ['spBv1.0/Plant/NDATA/Edge1', ndata(1, 21)],
      ['spBv1.0/Plant/NDATA/Edge1', ndata(3, 22)],
      ['spBv1.0/STATE/scada', '{"online":true,"timestamp":1700000002000}'],
      ['spBv1.0/Plant/NDATA/Edge1', compressed],
    ]);
    expect(await sub.done()).toBe(0);
    const docs = lines(sub.stdout()).map((l) => JSON.parse(l));
    expect(docs.map((d) => d.format)).toEqual([
      'sparkplug',
      'sparkplug',
      'sparkplug',
      'sparkplug',
      'sparkplug',
    ]);
    const [birth, data1, data3, state, inflated] = docs.map((d) => d.decoded);
    expect(birth.metrics.map((m: { name: string }) => m.name)).toEqual(['bdSeq', 'temperature', 'counter']);
    expect(data1).toMatchObject({
      messageType: 'NDATA',
      group: 'Plant',
      edgeNode: 'Edge1',
      timestamp: 1_700_000_001_000,
      seq: 1,
      metrics: [
        { name: 'temperature', alias: 1, datatype: 'Double', value: 21 },
        { name: 'counter', alias: 2, datatype: 'UInt64', value: '1' },
      ],
    });
    expect(data3.metrics[0]).toMatchObject({ name: 'temperature', value: 22 });
    expect(state).toEqual({
      messageType: 'STATE',
      hostId: 'scada',
      online: true,
      timestamp: 1_700_000_002_000,
    });
    expect(inflated).toMatchObject({
      compressed: 'DEFLATE',
      seq: 4,
      metrics: [
        { name: 'temperature', value: 23 },
        { name: 'counter', value: '4' },
      ],
    });
    // The raw bytes stay beside the decoded payload.
    expect(Buffer.from(docs[0].payload, docs[0].encoding === 'base64' ? 'base64' : 'utf8')).toEqual(
      Buffer.from(nbirth),
    );
    expect(warnings(sub.stderr())).toEqual([
      'warning: spBv1.0/Plant/NDATA/Edge1: seq gap: expected 2, got 3',
    ]);
  });

  it('auto prints plain strings and JSON as themselves, bytes that are not UTF-8 in hex', async () => {
    const sub = await startSub(['-p', String(broker.port), 'plain/#', '--decode', 'auto', '-v', '-C', '4']);
    await publish([
      ['plain/a', 'empty'],
      ['plain/b', '5000'],
      ['plain/c', '{"a":1}'],
      ['plain/d', Buffer.from([0xff, 0xfe, 0x00])],
    ]);
    expect(await sub.done()).toBe(0);
    expect(text(sub.stdout())).toBe('plain/a empty\nplain/b 5000\nplain/c {"a":1}\nplain/d fffe00\n');
  });

  it('-F %p prints the decoded payload and %J inserts its JSON; --decode cbor on what is not CBOR warns', async () => {
    const cbor = Buffer.from([0xa1, 0x61, 0x61, 0x01]); // {"a": 1}
    const sub = await startSub([
      '-p',
      String(broker.port),
      'cbor/#',
      '--decode',
      'cbor',
      '-F',
      '%t %p %J',
      '-C',
      '2',
    ]);
    await publish([
      ['cbor/x', cbor],
      ['cbor/y', 'hello'],
    ]);
    expect(await sub.done()).toBe(0);
    const [first, second] = lines(sub.stdout());
    expect(first).toMatch(/^cbor\/x \{"a":1\} \{.*"payload":\{"a":1\}\}$/);
    expect(second).toMatch(/^cbor\/y hello /);
    expect(warnings(sub.stderr())).toEqual([expect.stringMatching(/^warning: cbor\/y: not cbor/)]);
  });

  it('--proto and --type without --decode protobuf, or a missing .proto, are usage errors', async () => {
    const port = String(broker.port);
    expect((await runMqx(['sub', '-p', port, 't', '--proto', 'x.proto'])).exitCode).toBe(2);
    const missing = await runMqx([
      'sub',
      '-p',
      port,
      't',
      '--decode',
      'protobuf',
      '--proto',
      '/nonexistent.proto',
      '--type',
      'a.B',
    ]);
    expect(missing.exitCode).toBe(2);
    expect(text(missing.stderr)).toMatch(/cannot read \/nonexistent\.proto/);
  });
});
