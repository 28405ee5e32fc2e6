import mqtt, { type MqttClient } from 'mqtt';
import { type RunningBroker, startMqxBroker } from '../helpers/processes.js';
import type { RunningRedis } from '../helpers/redis.js';

/** Starts `count` mqx nodes on their own ports, joined through one Redis. */
export function startNodes(
  redis: RunningRedis,
  count: number,
  args: string[] = [],
): Promise<RunningBroker[]> {
  return Promise.all(Array.from({ length: count }, () => startMqxBroker(['--cluster', redis.url, ...args])));
}

export function connect(
  port: number,
  opts: mqtt.IClientOptions = {},
  beforeConnect?: (c: MqttClient) => void,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({
      host: '127.0.0.1',
      port,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 20_000,
      ...opts,
    });
    beforeConnect?.(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** A client that records what it receives from its first packet on (queued messages come at once). */
export async function connectRecording(
  port: number,
  opts: mqtt.IClientOptions = {},
): Promise<{ client: MqttClient; got: Received[] }> {
  let got: Received[] = [];
  const client = await connect(port, opts, (c) => {
    got = record(c);
  });
  return { client, got };
}

/** Everything a client receives from now on. */
export function record(c: MqttClient): Received[] {
  const got: Received[] = [];
  c.on('message', (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }),
  );
  return got;
}

export async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Subscriptions reach the other nodes through Redis a few milliseconds after SUBACK; tests that
 * publish on another node right away give them this long.
 */
export const PROPAGATION_MS = 300;

export const end = (...clients: MqttClient[]) => Promise.all(clients.map((c) => c.endAsync(true)));
