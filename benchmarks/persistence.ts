import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Decoder } from '../src/protocol/decoder.js';
import { encode } from '../src/protocol/encoder.js';
import type { Packet } from '../src/protocol/types.js';
import { freePort, waitForPort } from '../test/helpers/ports.js';

/*
 * `node dist/benchmarks/persistence.js`: QoS 1 throughput and latency through mqx without
 * persistence, mqx with persistence (SQLite, group commit), and mosquitto with persistence, in
 * one run on the same load. Publishers keep a window of unacknowledged QoS 1 messages each; one
 * persistent subscriber (clean session off, so its deliveries are stored) acknowledges at once.
 * Throughput counts messages the subscriber received; latency runs from PUBLISH written by a
 * publisher to PUBLISH read by the subscriber.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MOSQUITTO = '/usr/sbin/mosquitto';

export interface PersistenceBenchOptions {
  publishers: number;
  /** Unacknowledged QoS 1 messages each publisher keeps in flight. */
  window: number;
  payloadBytes: number;
  warmupSeconds: number;
  seconds: number;
}

export interface PersistenceBenchResult {
  name: string;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export const DEFAULTS: PersistenceBenchOptions = {
  publishers: 4,
  // 4 x 25 = max_inflight_messages: the subscriber's window takes all, so no queue builds up and
  // latency measures the broker, not a backlog.
  window: 25,
  payloadBytes: 64,
  warmupSeconds: 1,
  seconds: 5,
};

interface BrokerUnderTest {
  name: string;
  start(port: number, dir: string): ChildProcess;
}

const BROKERS: BrokerUnderTest[] = [
  {
    name: 'mqx, persistence off',
    start: (port, dir) => spawnMqx(port, dir, []),
  },
  {
    name: 'mqx, persistence on',
    start: (port, dir) => spawnMqx(port, dir, ['--persistence', dir]),
  },
  {
    name: 'mosquitto, persistence on',
    start: (port, dir) => {
      const conf = path.join(dir, 'mosquitto.conf');
      writeFileSync(
        conf,
        `listener ${port} 127.0.0.1\nallow_anonymous true\n${LIMITS}persistence true\npersistence_location ${dir}/\n`,
      );
      return spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
    },
  },
];

/** The same limits for both brokers: a window wide enough, and no queue limit that would drop. */
const LIMITS = 'max_inflight_messages 100\nmax_queued_messages 0\n';

function spawnMqx(port: number, dir: string, extra: string[]): ChildProcess {
  const conf = path.join(dir, 'mqx.conf');
  writeFileSync(conf, `allow_anonymous true\n${LIMITS}`);
  return spawn(
    process.execPath,
    [path.join(ROOT, 'bin/mqx.js'), 'broker', '-c', conf, '-p', String(port), ...extra],
    { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } },
  );
}

export async function runPersistenceBench(
  options: Partial<PersistenceBenchOptions> = {},
): Promise<PersistenceBenchResult[]> {
  const o = { ...DEFAULTS, ...options };
  const results: PersistenceBenchResult[] = [];
  for (const broker of BROKERS) {
    if (broker.name.startsWith('mosquitto') && !existsSync(MOSQUITTO)) continue;
    const dir = mkdtempSync(path.join(tmpdir(), 'mqx-bench-persistence-'));
    const port = await freePort();
    const proc = broker.start(port, dir);
    try {
      await waitForPort(port, 15_000);
      results.push({ name: broker.name, ...(await measure(port, port, o)) });
    } finally {
      proc.kill('SIGTERM');
      await new Promise((resolve) => proc.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

export function formatPersistenceBench(results: PersistenceBenchResult[]): string {
  const lines = [
    'QoS 1 through one broker: msg/s received by a persistent subscriber, latency publish -> receive',
  ];
  const off = results.find((r) => r.name === 'mqx, persistence off');
  for (const r of results) {
    const share =
      off && r !== off
        ? ` (${Math.round((r.messagesPerSecond / off.messagesPerSecond) * 100)}% of persistence off)`
        : '';
    lines.push(
      `  ${r.name.padEnd(28)} ${Math.round(r.messagesPerSecond).toString().padStart(8)} msg/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms${share}`,
    );
  }
  return lines.join('\n');
}

/** QoS 1 load: publishers connect to `publishPort`, the persistent subscriber to `subscribePort`. */
export async function measure(
  publishPort: number,
  subscribePort: number,
  o: PersistenceBenchOptions,
): Promise<Omit<PersistenceBenchResult, 'name'>> {
  const latencies: number[] = [];
  let received = 0;
  let measuring = false;
  const subscriber = await RawConnection.open(subscribePort, 'bench-persistence-sub', (p, c) => {
    if (p.type !== 'publish') return;
    if (measuring) {
      received++;
      latencies.push(performance.now() - p.payload.readDoubleLE(0));
    }
    if (p.qos === 1) c.send({ type: 'puback', packetId: p.packetId! });
  });
  subscriber.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'bench/#', qos: 1 }] });
  await subscriber.waitFor('suback');

  let running = true;
  const publishers: RawConnection[] = [];
  for (let i = 0; i < o.publishers; i++) {
    let nextId = 1;
    const topic = `bench/${i}`;
    const send = (c: RawConnection) => {
      const payload = Buffer.alloc(o.payloadBytes);
      payload.writeDoubleLE(performance.now(), 0);
      c.send({ type: 'publish', topic, payload, qos: 1, retain: false, dup: false, packetId: nextId });
      nextId = nextId === 65535 ? 1 : nextId + 1;
    };
    const pub = await RawConnection.open(publishPort, `bench-persistence-pub-${i}`, (p, c) => {
      if (p.type === 'puback' && running) send(c);
    });
    publishers.push(pub);
    for (let k = 0; k < o.window; k++) send(pub);
  }

  await sleep(o.warmupSeconds * 1000);
  measuring = true;
  const started = performance.now();
  await sleep(o.seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  running = false;
  for (const c of [...publishers, subscriber]) c.close();

  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { messagesPerSecond: received / elapsed, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** A bare MQTT 3.1.1 connection with a persistent session (clean session off). */
class RawConnection {
  private waiters: Array<{ type: Packet['type']; resolve: () => void }> = [];

  private constructor(
    private readonly socket: net.Socket,
    onPacket: (p: Packet, c: RawConnection) => void,
  ) {
    const decoder = new Decoder(
      (p) => {
        const w = this.waiters.findIndex((x) => x.type === p.type);
        if (w >= 0) this.waiters.splice(w, 1)[0]!.resolve();
        onPacket(p, this);
      },
      { protocolVersion: 4 },
    );
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('error', () => undefined);
  }

  static async open(
    port: number,
    clientId: string,
    onPacket: (p: Packet, c: RawConnection) => void,
  ): Promise<RawConnection> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawConnection(socket, onPacket);
    const connack = c.waitFor('connack');
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      bridge: false,
      clean: false,
      keepalive: 60,
      clientId,
    });
    await connack;
    return c;
  }

  send(packet: Packet): void {
    this.socket.write(encode(packet, 4));
  }

  waitFor(type: Packet['type']): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  close(): void {
    this.socket.destroy();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.env.MQX_BENCH_SECONDS ?? DEFAULTS.seconds);
  runPersistenceBench({ seconds }).then(
    (results) => console.log(formatPersistenceBench(results)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
