import { generate, parser } from 'mqtt-packet';
import { Decoder, encode, type Packet, type ProtocolVersion } from '../src/protocol/index.js';

/*
 * `npm run bench:codec`: packets per second to decode and to encode three representative
 * packets, mqx against mqtt-packet in the same process on the same inputs. Each measurement
 * warms up first, then runs several rounds alternating the two codecs; the median round counts.
 * Decoding pushes chunks of many packets, as a busy socket delivers them.
 */

// biome-ignore lint/suspicious/noExplicitAny: mqtt-packet's packet model is untyped here.
type MqttObject = any;

interface Case {
  name: string;
  version: ProtocolVersion;
  packet: Packet;
  mqtt: MqttObject;
}

const payload = Buffer.alloc(64, 0x61);
const topic = 'sensors/building-7/floor-3/room-12/temperature';

const CASES: Case[] = [
  {
    name: 'PUBLISH QoS 1, 64 B (3.1.1)',
    version: 4,
    packet: { type: 'publish', topic, payload, qos: 1, retain: false, dup: false, packetId: 4242 },
    mqtt: { cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false, messageId: 4242 },
  },
  {
    name: 'PUBLISH 5.0 + properties',
    version: 5,
    packet: {
      type: 'publish',
      topic,
      payload,
      qos: 1,
      retain: false,
      dup: false,
      packetId: 4242,
      properties: {
        contentType: 'application/json',
        messageExpiryInterval: 3600,
        userProperties: [
          ['source', 'gateway-17'],
          ['trace-id', '4bf92f3577b34da6a3ce929d0e0e4736'],
        ],
      },
    },
    mqtt: {
      cmd: 'publish',
      topic,
      payload,
      qos: 1,
      retain: false,
      dup: false,
      messageId: 4242,
      properties: {
        contentType: 'application/json',
        messageExpiryInterval: 3600,
        userProperties: { source: 'gateway-17', 'trace-id': '4bf92f3577b34da6a3ce929d0e0e4736' },
      },
    },
  },
  {
    name: 'SUBSCRIBE, 3 filters (3.1.1)',
    version: 4,
    packet: {
      type: 'subscribe',
      packetId: 17,
      subscriptions: [
        { topicFilter: 'sensors/+/floor-3/#', qos: 1 },
        { topicFilter: 'alerts/#', qos: 2 },
        { topicFilter: '$SYS/broker/clients/connected', qos: 0 },
      ],
    },
    mqtt: {
      cmd: 'subscribe',
      messageId: 17,
      subscriptions: [
        { topic: 'sensors/+/floor-3/#', qos: 1 },
        { topic: 'alerts/#', qos: 2 },
        { topic: '$SYS/broker/clients/connected', qos: 0 },
      ],
    },
  },
];

const PACKETS_PER_CHUNK = 64;
const WARMUP_MS = 300;
const ROUND_MS = 200;
const ROUNDS = 7;

let sink = 0;

/** Runs `batch` (which handles `perBatch` packets) for about `ms` and returns packets/s. */
function rate(batch: () => void, perBatch: number, ms: number): number {
  let packets = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 16; i++) batch();
    packets += 16 * perBatch;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (packets / elapsed) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median packets/s of `ours` and `theirs`, warmed up and measured in alternating rounds. */
function compare(ours: () => void, theirs: () => void, perBatch: number): [number, number] {
  rate(ours, perBatch, WARMUP_MS);
  rate(theirs, perBatch, WARMUP_MS);
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    a.push(rate(ours, perBatch, ROUND_MS));
    b.push(rate(theirs, perBatch, ROUND_MS));
  }
  return [median(a), median(b)];
}

function decodeBench(c: Case): [number, number] {
  const one = encode(c.packet, c.version);
  const theirsOne = generate(c.mqtt, { protocolVersion: c.version });
  if (!one.equals(theirsOne)) throw new Error(`${c.name}: the codecs disagree on the bytes`);
  const chunk = Buffer.concat(Array.from({ length: PACKETS_PER_CHUNK }, () => one));
  const decoder = new Decoder(
    (p) => {
      sink += p.type.length;
    },
    { protocolVersion: c.version },
  );
  const mqttParser = parser({ protocolVersion: c.version });
  mqttParser.on('packet', (p: MqttObject) => {
    sink += p.cmd.length;
  });
  mqttParser.on('error', (e: Error) => {
    throw e;
  });
  return compare(
    () => decoder.push(chunk),
    () => mqttParser.parse(chunk),
    PACKETS_PER_CHUNK,
  );
}

function encodeBench(c: Case): [number, number] {
  const opts = { protocolVersion: c.version };
  return compare(
    () => {
      sink += encode(c.packet, c.version).length;
    },
    () => {
      sink += generate(c.mqtt, opts).length;
    },
    1,
  );
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en').padStart(12);
}

const rows: string[] = [];
rows.push(
  `${'packet'.padEnd(30)} ${'op'.padEnd(7)} ${'mqx pkt/s'.padStart(12)} ${'mqtt-packet'.padStart(12)}  ratio`,
);
for (const c of CASES) {
  for (const [op, bench] of [
    ['decode', decodeBench],
    ['encode', encodeBench],
  ] as const) {
    const [ours, theirs] = bench(c);
    rows.push(
      `${c.name.padEnd(30)} ${op.padEnd(7)} ${fmt(ours)} ${fmt(theirs)}  ${(ours / theirs).toFixed(2)}x`,
    );
  }
}
console.log(
  `node ${process.version}, median of ${ROUNDS} rounds of ${ROUND_MS} ms after ${WARMUP_MS} ms warm-up`,
);
console.log(`decode: chunks of ${PACKETS_PER_CHUNK} packets; encode: one packet per call`);
console.log(rows.join('\n'));
if (sink === 0) console.log('');
