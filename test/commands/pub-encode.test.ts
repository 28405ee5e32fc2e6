/** `mqx pub --encode` end to end: what arrives through mosquitto, read by independent decoders. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { decode as msgpackDecode } from '@msgpack/msgpack';
import * as cbor from 'cbor';
import mqtt from 'mqtt';
import protobuf from 'protobufjs';
import sparkplugPayload from 'sparkplug-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { text } from '../e2e/pubsub-helpers.js';
import { peers } from '../helpers/peers.js';
import { type RunningBroker, runMqx, startMosquitto, tempDir } from '../helpers/processes.js';

const tahu = sparkplugPayload.get('spBv1.0')!;

describe.runIf(peers.mosquitto())('mqx pub --encode', () => {
  let broker: RunningBroker;
  let peer: mqtt.MqttClient;
  const received: Array<{ topic: string; payload: Buffer }> = [];
  beforeAll(async () => {
    broker = await startMosquitto();
    peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    peer.on('message', (topic, payload) => received.push({ topic, payload }));
    await peer.subscribeAsync('enc/#', { qos: 1 });
  });
  afterAll(async () => {
    await peer?.endAsync();
    await broker?.stop();
  });

  /** Publishes with mqx and returns what the peer got on that topic. */
  async function pub(topic: string, args: string[], input?: string) {
    const r = await runMqx(
      ['pub', '-p', String(broker.port), '-q', '1', '-t', topic, ...args],
      input === undefined ? {} : { input },
    );
    expect(text(r.stderr)).toBe('');
    expect(r.exitCode).toBe(0);
    // QoS 1 both ways: once mqx has its PUBACK, mosquitto has queued the copy to the peer.
    await expect.poll(() => received.filter((m) => m.topic === topic).length).toBeGreaterThan(0);
    return received.filter((m) => m.topic === topic).map((m) => m.payload);
  }

  it('cbor and msgpack from JSON', async () => {
    const [c] = await pub('enc/cbor', ['--encode', 'cbor', '-m', '{"t":21.5,"tags":["a"]}']);
    expect(cbor.decodeFirstSync(c!)).toEqual({ t: 21.5, tags: ['a'] });
    const [m] = await pub('enc/msgpack', ['--encode', 'msgpack', '-m', '[1,"two",null]']);
    expect(msgpackDecode(m!)).toEqual([1, 'two', null]);
  });

  it('simulated JSON readings as CBOR', async () => {
    const [bytes] = await pub('enc/sim', [
      '--simulate',
      'temperature',
      '--format',
      'json',
      '--count',
      '1',
      '--encode',
      'cbor',
    ]);
    expect(cbor.decodeFirstSync(bytes!)).toMatchObject({ sensor: 'temperature', unit: '°C' });
  });

  it('hex, one message per line with -l', async () => {
    await pub('enc/hex', ['--encode', 'hex', '-l'], '00ff\ncafe\n');
    await expect.poll(() => received.filter((m) => m.topic === 'enc/hex').length).toBe(2);
    expect(received.filter((m) => m.topic === 'enc/hex').map((m) => m.payload.toString('hex'))).toEqual([
      '00ff',
      'cafe',
    ]);
  });

  it('protobuf with --proto and --type, from a file with -f', async () => {
    const dir = tempDir('mqx-proto-');
    const proto = path.join(dir, 'reading.proto');
    writeFileSync(
      proto,
      'syntax = "proto3";\npackage course;\nmessage Reading { string sensor = 1; double value = 2; int64 at = 3; }\n',
    );
    const input = path.join(dir, 'reading.json');
    writeFileSync(input, '{"sensor":"temperature","value":22.5,"at":"1700000000000"}');
    const [bytes] = await pub('enc/proto', [
      '--encode',
      'protobuf',
      '--proto',
      proto,
      '--type',
      'course.Reading',
      '-f',
      input,
    ]);
    const type = protobuf.loadSync(proto).lookupType('course.Reading');
    expect(type.toObject(type.decode(bytes!), { longs: String })).toEqual({
      sensor: 'temperature',
      value: 22.5,
      at: '1700000000000',
    });
  });

  it('sparkplug, read back by Eclipse Tahu', async () => {
    const json = '{"seq":1,"metrics":[{"name":"temperature","alias":1,"datatype":"Double","value":21.5}]}';
    const [bytes] = await pub('enc/spb', ['--encode', 'sparkplug', '-m', json]);
    expect(tahu.decodePayload(bytes!).metrics).toMatchObject([
      { name: 'temperature', type: 'Double', value: 21.5 },
    ]);
  });

  it('input the format cannot take is exit 2 before connecting', async () => {
    const r = await runMqx([
      'pub',
      '-p',
      '1',
      '-t',
      'x',
      '--encode',
      'sparkplug',
      '-m',
      '{"metrics":[{"name":"x"}]}',
    ]);
    expect(r.exitCode).toBe(2);
    expect(text(r.stderr)).toMatch(/--encode sparkplug: metric "x" datatype: unknown Sparkplug datatype/);
  });
});
