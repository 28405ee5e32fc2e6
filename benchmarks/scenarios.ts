/**
 * The scenarios of `npm run bench`. Each runs against one freshly started broker and returns its
 * metrics plus every integrity problem found (loss, duplication, reordering, errors); a problem
 * fails the whole run loudly, whatever the speed.
 */

import type { ClientOptions } from '../src/client/options.js';
import { nowMs } from '../src/loadgen/clock.js';
import { connectMany } from '../src/loadgen/connect.js';
import { BenchConnection } from '../src/loadgen/connection.js';
import { type BenchSummary, DEFAULT_LOAD_OPTIONS, type LoadOptions, LoadRun } from '../src/loadgen/load.js';
import { PublishTemplate } from '../src/loadgen/packets.js';
import { readStamp } from '../src/loadgen/payload.js';
import { SequenceChecker } from '../src/loadgen/sequence.js';
import type { BrokerProcess } from './brokers.js';

export type Size = 'quick' | 'full';

export interface Metric {
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
}

export interface Measurement {
  metrics: Record<string, number>;
  problems: string[];
}

export interface Scenario {
  id: string;
  title: string;
  metrics: Metric[];
  run(broker: BrokerProcess, size: Size): Promise<Measurement>;
}

const TIMEOUT_MS = 30_000;

function clientOptions(port: number): ClientOptions {
  return {
    broker: { scheme: 'mqtt', host: '127.0.0.1', port },
    protocolVersion: 4,
    keepalive: 60,
    connectTimeoutMs: TIMEOUT_MS,
  };
}

function problemsOf(s: BenchSummary): string[] {
  const p: string[] = [];
  if (s.lost > 0) p.push(`${s.lost} messages lost`);
  if (s.duplicates > 0) p.push(`${s.duplicates} duplicated`);
  if (s.reordered > 0) p.push(`${s.reordered} reordered`);
  if (s.errors > 0) p.push(`${s.errors} errors: ${s.errorMessages.join('; ')}`);
  if (s.published === 0) p.push('nothing was published');
  return p;
}

async function load(port: number, o: Partial<LoadOptions>): Promise<BenchSummary> {
  return new LoadRun({
    ...DEFAULT_LOAD_OPTIONS,
    mode: 'pubsub',
    connection: clientOptions(port),
    drainTimeoutMs: 10_000,
    ...o,
  }).run();
}

const deliveries: Metric = { key: 'perSecond', label: 'deliveries/s', unit: 'msg/s', better: 'higher' };

/** Throughput scenario: `publishers` → `subscribers`, each publisher sending `perPublisher` messages. */
function throughput(
  id: string,
  title: string,
  o: Partial<LoadOptions>,
  perPublisher: Record<Size, number>,
): Scenario {
  return {
    id,
    title,
    metrics: [deliveries],
    async run(broker, size) {
      const s = await load(broker.port, { ...o, limit: perPublisher[size] });
      return { metrics: { perSecond: s.receivedPerSecond }, problems: problemsOf(s) };
    },
  };
}

function fanIn(qos: 0 | 1 | 2): Scenario {
  return throughput(
    `fan-in-q${qos}`,
    `fan-in 10 → 1 (bench/+), QoS ${qos}`,
    { clients: 10, subscribers: 1, topic: 'bench/%i', filter: 'bench/+', qos },
    { quick: 5_000, full: qos === 0 ? 100_000 : 30_000 },
  );
}

function fanOut(qos: 0 | 1): Scenario {
  return throughput(
    `fan-out-q${qos}`,
    `fan-out 1 → 50, QoS ${qos}`,
    { clients: 1, subscribers: 50, topic: 'bench/fan', filter: 'bench/fan', qos },
    { quick: 1_000, full: qos === 0 ? 40_000 : 20_000 },
  );
}

const pairs = throughput(
  'pairs-q1',
  '20 publisher/subscriber pairs, QoS 1',
  { clients: 20, subscribers: 20, topic: 'bench/pair/%i', filter: 'bench/pair/%i', qos: 1 },
  { quick: 2_000, full: 20_000 },
);

const idle: Scenario = {
  id: 'idle-10k',
  title: 'idle connections (10,000; quick: 2,000)',
  metrics: [
    { key: 'connectPerSecond', label: 'connects/s', unit: 'conn/s', better: 'higher' },
    { key: 'bytesPerConnection', label: 'RSS/conn', unit: 'B', better: 'lower' },
    { key: 'bytesPerConnectionAfter1s', label: 'RSS/conn after 1 s', unit: 'B', better: 'lower' },
    { key: 'idleRssMB', label: 'idle RSS', unit: 'MB', better: 'lower' },
  ],
  async run(broker, size) {
    const count = size === 'full' ? 10_000 : 2_000;
    // Let the broker settle after start-up before the baseline.
    await new Promise((r) => setTimeout(r, 500));
    const before = broker.rss();
    const outcome = await connectMany(clientOptions(broker.port), {
      count,
      clientId: (i) => `idle-${i}`,
      intervalMs: 0,
      concurrency: 64,
      timeoutMs: TIMEOUT_MS,
    });
    // Idle means settled: three seconds, for mosquitto and mqx alike, so that what is measured is
    // what the connections keep, not the garbage of their handshakes (mqx collects it once a burst
    // of connections is over; see src/broker/idle-gc.ts). The RSS one second after is kept too.
    await new Promise((r) => setTimeout(r, 1000));
    const soon = broker.rss();
    await new Promise((r) => setTimeout(r, 2000));
    const after = broker.rss();
    const lostLater = outcome.connections.filter((c) => c?.closed).length;
    for (const c of outcome.connections) c?.close();
    const problems: string[] = [];
    if (outcome.failed > 0)
      problems.push(`${outcome.failed} connections failed: ${outcome.failures.join('; ')}`);
    if (lostLater > 0) problems.push(`${lostLater} connections dropped while idle`);
    return {
      metrics: {
        connectPerSecond: outcome.connected / outcome.seconds,
        bytesPerConnection: (after - before) / Math.max(1, outcome.connected),
        bytesPerConnectionAfter1s: (soon - before) / Math.max(1, outcome.connected),
        idleRssMB: before / 1024 / 1024,
      },
      problems,
    };
  },
};

/** Publishes `count` retained messages on distinct topics at QoS 1 and waits for every PUBACK. */
async function storeRetained(port: number, count: number): Promise<void> {
  const conn = await BenchConnection.open(clientOptions(port), 'retain-writer', TIMEOUT_MS);
  let acked = 0;
  const done = new Promise<void>((resolve, reject) => {
    conn.handlers = {
      publish() {},
      complete: () => {
        if (++acked === count) resolve();
      },
      turn() {},
      lost: (reason) => reject(new Error(`retained writer: ${reason}`)),
    };
  });
  const window = 1000;
  let next = 0;
  const sendUpTo = (limit: number) => {
    const parts: Buffer[] = [];
    for (; next < Math.min(limit, count); next++) {
      const t = new PublishTemplate(`bench/retained/${next}`, 32, 1, true, 4);
      const packet = Buffer.allocUnsafe(t.length);
      t.writeInto(packet, 0, (next % 0xffff) + 1, 0, next, nowMs());
      parts.push(packet);
    }
    if (parts.length > 0) conn.write(Buffer.concat(parts));
  };
  conn.handlers.turn = () => sendUpTo(acked + window);
  sendUpTo(window);
  await done;
  conn.close();
}

const retained: Scenario = {
  id: 'retained-10k',
  title: '10,000 retained messages to a new # subscriber',
  metrics: [{ key: 'ms', label: 'time to receive all', unit: 'ms', better: 'lower' }],
  async run(broker) {
    const count = 10_000;
    await storeRetained(broker.port, count);
    const conn = await BenchConnection.open(clientOptions(broker.port), 'retain-reader', TIMEOUT_MS);
    const checker = new SequenceChecker();
    let lostReason: string | undefined;
    let finished = 0;
    const all = new Promise<void>((resolve) => {
      conn.handlers = {
        publish: (packet) => {
          const stamp = readStamp(packet.payload);
          if (stamp !== undefined) checker.record(stamp.publisher, stamp.seq);
          if (checker.received === count) {
            finished = nowMs();
            resolve();
          }
        },
        complete() {},
        turn() {},
        lost: (reason) => {
          lostReason = reason;
          resolve();
        },
      };
    });
    const start = nowMs();
    await conn.subscribe([{ topicFilter: '#', qos: 0 }], 1, TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, TIMEOUT_MS)))]);
    clearTimeout(timer);
    // Anything late would be a duplicate: give it a moment to show up.
    await new Promise((r) => setTimeout(r, 200));
    conn.close();
    const report = checker.report(new Map([[0, count]]));
    const problems: string[] = [];
    if (report.lost > 0) problems.push(`${report.lost} retained messages not delivered`);
    if (report.duplicates > 0) problems.push(`${report.duplicates} retained messages duplicated`);
    if (lostReason !== undefined) problems.push(lostReason);
    // Retained messages come in whatever order the broker's store keeps: order is not checked.
    return { metrics: { ms: finished > 0 ? finished - start : Number.NaN }, problems };
  },
};

const latency: Scenario = {
  id: 'latency-1k-q1',
  title: 'latency at 1,000 msg/s, QoS 1, 1 → 1',
  metrics: [
    { key: 'p50', label: 'p50', unit: 'ms', better: 'lower' },
    { key: 'p99', label: 'p99', unit: 'ms', better: 'lower' },
  ],
  async run(broker, size) {
    const s = await load(broker.port, {
      clients: 1,
      subscribers: 1,
      topic: 'bench/latency',
      filter: 'bench/latency',
      qos: 1,
      ratePerClient: 1000,
      limit: size === 'full' ? 10_000 : 3_000,
    });
    return {
      metrics: { p50: s.latencyMs?.p50 ?? Number.NaN, p99: s.latencyMs?.p99 ?? Number.NaN },
      problems: problemsOf(s),
    };
  },
};

export const SCENARIOS: Scenario[] = [
  fanIn(0),
  fanIn(1),
  fanIn(2),
  fanOut(0),
  fanOut(1),
  pairs,
  idle,
  retained,
  latency,
];
