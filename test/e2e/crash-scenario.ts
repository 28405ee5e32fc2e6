import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { MOSQUITTO } from '../helpers/peers.js';
import { waitForPort } from '../helpers/ports.js';
import { type RunningBroker, startMqxBroker } from '../helpers/processes.js';
import { RawClient } from '../helpers/raw-client.js';
import { CrashPublisher, CrashSubscriber } from './crash-clients.js';

/** A broker the scenario can start, kill -9 and start again on the same port and store. */
export interface CrashTarget {
  name: string;
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export function mqxTarget(port: number, dir: string): CrashTarget {
  // Unbounded queues: a message dropped by max_queued_messages would look like a crash loss.
  const conf = path.join(dir, 'mqx.conf');
  writeFileSync(conf, 'allow_anonymous true\nmax_queued_messages 0\n');
  let broker: RunningBroker | undefined;
  return {
    name: 'mqx',
    async start() {
      broker = await startMqxBroker([
        '-c',
        conf,
        '-p',
        String(port),
        '--persistence',
        path.join(dir, 'store'),
      ]);
    },
    async kill() {
      broker?.proc.kill('SIGKILL');
      await broker?.proc.catch(() => undefined);
    },
    async stop() {
      await broker?.stop();
    },
  };
}

export function mosquittoTarget(port: number, dir: string): CrashTarget {
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\npersistence true\npersistence_location ${dir}/\n`,
  );
  let proc: ResultPromise | undefined;
  return {
    name: 'mosquitto',
    async start() {
      proc = execa(MOSQUITTO, ['-c', conf], { reject: false, buffer: false, stdin: 'ignore' });
      await waitForPort(port, 15_000);
    },
    async kill() {
      proc?.kill('SIGKILL');
      await proc?.catch(() => undefined);
    },
    async stop() {
      proc?.kill('SIGTERM');
      await proc?.catch(() => undefined);
    },
  };
}

export interface CrashReport {
  broker: string;
  messages: number;
  acknowledged: number;
  kills: number;
  seconds: number;
  /** Retained messages missing after a restart, summed over the restarts. */
  retainedLost: number;
  subscribers: Array<{
    name: string;
    missing: number;
    qos2Duplicates: number;
    qos1Duplicates: number;
    outOfOrder: number;
    sessionsLost: number;
  }>;
}

const RETAINED = 5;
const PUBLISHERS: Array<1 | 2> = [1, 1, 2, 2];
const WINDOW = 50;

/**
 * Four persistent publishers (two QoS 1, two QoS 2) send `total` messages while the broker is
 * killed with SIGKILL `kills` times at random points and started again. Three persistent
 * subscribers receive them: one stays connected, one is offline until the end, one comes and
 * goes. Publishers resend what was not acknowledged, so in the end every message has been
 * acknowledged once at least, and each subscriber must have all of them. The broker is killed
 * once more after the last acknowledgement, before the subscribers drain what is left.
 */
export async function runCrashScenario(
  target: CrashTarget,
  port: number,
  total: number,
  kills: number,
  log: (line: string) => void,
): Promise<CrashReport> {
  const started = Date.now();
  const perPublisher = PUBLISHERS.map(
    (_, i) => Math.floor(total / PUBLISHERS.length) + (i < total % PUBLISHERS.length ? 1 : 0),
  );
  await target.start();
  await publishRetained(port);

  const online = new CrashSubscriber(port, 'online', perPublisher);
  const offline = new CrashSubscriber(port, 'offline', perPublisher);
  const flapping = new CrashSubscriber(port, 'flapping', perPublisher);
  const subscribers = [online, offline, flapping];
  for (const s of subscribers) s.start();
  await until(() => subscribers.every((s) => s.subacked > 0), 15_000, 'subscriptions');
  offline.stop();

  let flapTimer: NodeJS.Timeout | undefined;
  const flap = () => {
    if (flapping.connected) flapping.stop();
    else flapping.start();
    flapTimer = setTimeout(flap, 200 + Math.random() * 800);
  };
  flapTimer = setTimeout(flap, 300);

  const publishers = PUBLISHERS.map((qos, i) => new CrashPublisher(port, i, qos, perPublisher[i]!, WINDOW));
  for (const p of publishers) p.start();
  const acked = () => publishers.reduce((n, p) => n + p.acked, 0);

  let retainedLost = 0;
  const restart = async (why: string) => {
    await target.kill();
    log(`${target.name}: kill -9 ${why} (${acked()} acknowledged so far)`);
    await target.start();
    retainedLost += RETAINED - (await countRetained(port));
  };

  const points = Array.from({ length: kills }, () => 0.05 + Math.random() * 0.85).sort((a, b) => a - b);
  for (const point of points) {
    await until(() => acked() >= point * total, 600_000, 'publishing progress');
    await sleep(Math.random() * 30);
    await restart(`at ${Math.round(point * 100)}%`);
  }
  await Promise.all(publishers.map((p) => p.done));
  clearTimeout(flapTimer);
  // The last kill comes after every message was acknowledged: all of them must be stored.
  await restart('after the last acknowledgement');
  for (const s of subscribers) s.start();

  // Done when every subscriber has everything, or nothing new arrived for a while (losses).
  await until(
    () =>
      subscribers.every((s) => s.complete) ||
      Date.now() - Math.max(...subscribers.map((s) => s.lastReceivedAt)) > 8_000,
    900_000,
    'delivery',
  );
  for (const c of [...publishers, ...subscribers]) c.stop();
  await target.stop();

  return {
    broker: target.name,
    messages: total,
    acknowledged: acked(),
    kills: kills + 1,
    seconds: (Date.now() - started) / 1000,
    retainedLost,
    subscribers: subscribers.map((s) => ({
      name: s.clientId,
      missing: s.missing().reduce((a, b) => a + b, 0),
      qos2Duplicates: s.qos2Duplicates,
      qos1Duplicates: s.qos1Duplicates,
      outOfOrder: s.outOfOrder,
      sessionsLost: s.sessionsLost,
    })),
  };
}

async function publishRetained(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  for (let i = 0; i < RETAINED; i++) {
    c.send({
      type: 'publish',
      topic: `keep/${i}`,
      payload: Buffer.from(`retained ${i}`),
      qos: 1,
      retain: true,
      dup: false,
      packetId: i + 1,
    });
    await c.next('puback');
  }
  c.end();
}

async function countRetained(port: number): Promise<number> {
  const c = await RawClient.connect(port);
  c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'keep/#', qos: 0 }] });
  await c.next('suback');
  let n = 0;
  try {
    while (n < RETAINED) {
      const p = await c.next('publish', 2_000);
      if (p.retain) n++;
    }
  } catch {
    // Fewer retained messages than published: counted as lost.
  }
  c.end();
  return n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
