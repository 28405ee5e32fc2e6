import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import type { RunningBroker } from '../helpers/processes.js';
import { type RunningRedis, startRedis } from '../helpers/redis.js';
import {
  connect,
  connectRecording,
  end,
  PROPAGATION_MS,
  type Received,
  sleep,
  startNodes,
  until,
} from './cluster-helpers.js';

const SUBSCRIBER = { clientId: 'fault-sub', clean: false, properties: { sessionExpiryInterval: 600 } };

/**
 * A QoS 1 publisher that moves to the next node when its node goes away, and publishes again
 * whatever was not acknowledged: the set of acknowledged messages is what must not be lost.
 */
class Publisher {
  readonly acked = new Set<string>();
  private client: MqttClient | undefined;
  private lost: Promise<unknown> = Promise.resolve();

  constructor(private readonly nodes: RunningBroker[]) {}

  async run(count: number, onProgress: (i: number) => Promise<void>): Promise<void> {
    let at = 0;
    for (let i = 0; i < count; i++) {
      await onProgress(i);
      for (;;) {
        try {
          if (this.client === undefined) {
            const client = await connect(this.nodes[at]!.port, { clientId: 'fault-pub' });
            this.client = client;
            this.lost = new Promise((_, reject) => client.once('close', () => reject(new Error('lost'))));
            this.lost.catch(() => undefined);
          }
          // MQTT.js keeps an unacknowledged publish pending across a lost connection: give up on it.
          await Promise.race([this.client.publishAsync('stream/x', String(i), { qos: 1 }), this.lost]);
          this.acked.add(String(i));
          break;
        } catch {
          this.client?.end(true);
          this.client = undefined;
          at = (at + 1) % this.nodes.length;
          await sleep(100);
        }
      }
    }
    await this.client?.endAsync(true);
  }
}

/** A persistent subscriber that reconnects to another node when its node goes away. */
class Subscriber {
  readonly got: Received[] = [];
  private client: MqttClient | undefined;
  private closed = false;

  constructor(private readonly nodes: RunningBroker[]) {}

  async start(at: number): Promise<void> {
    const { client, got } = await connectRecording(this.nodes[at]!.port, SUBSCRIBER);
    this.client = client;
    this.follow(client, got, at);
    await client.subscribeAsync('stream/#', { qos: 1 });
  }

  private follow(client: MqttClient, got: Received[], at: number): void {
    const copy = setInterval(() => this.got.push(...got.splice(0)), 10);
    client.once('close', () => {
      clearInterval(copy);
      this.got.push(...got.splice(0));
      if (!this.closed) void this.reconnect((at + 1) % this.nodes.length);
    });
  }

  private async reconnect(at: number): Promise<void> {
    for (;;) {
      try {
        const { client, got } = await connectRecording(this.nodes[at]!.port, SUBSCRIBER);
        this.client = client;
        this.follow(client, got, at);
        return;
      } catch {
        at = (at + 1) % this.nodes.length;
        await sleep(100);
      }
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.client) await end(this.client);
  }
}

function missing(acked: Set<string>, got: Received[]): string[] {
  const seen = new Set(got.map((m) => m.payload));
  return [...acked].filter((p) => !seen.has(p));
}

describe.skipIf(!peers.redis())('a cluster loses nothing acknowledged', () => {
  let redis: RunningRedis | undefined;
  let nodes: RunningBroker[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  it('kill -9 of the subscriber’s node, then of the publisher’s node, during a QoS 1 stream', async () => {
    redis = await startRedis();
    nodes = await startNodes(redis, 3);
    const subscriber = new Subscriber(nodes);
    await subscriber.start(1);
    await sleep(PROPAGATION_MS);
    const publisher = new Publisher(nodes);
    await publisher.run(3000, async (i) => {
      if (i === 1000) nodes[1]!.proc.kill('SIGKILL');
      if (i === 2000) nodes[0]!.proc.kill('SIGKILL');
    });
    await until(
      () => missing(publisher.acked, subscriber.got).length === 0,
      'every acknowledged message',
      30_000,
    );
    const duplicates = subscriber.got.length - new Set(subscriber.got.map((m) => m.payload)).size;
    console.log(
      `cluster kill -9: ${publisher.acked.size} acknowledged, all received, ${duplicates} duplicates`,
    );
    expect(publisher.acked.size).toBe(3000);
    await subscriber.stop();
  }, 120_000);

  it('a Redis restart during a QoS 1 stream: the nodes recover by themselves', async () => {
    redis = await startRedis();
    nodes = await startNodes(redis, 2);
    const subscriber = new Subscriber(nodes);
    await subscriber.start(1);
    await sleep(PROPAGATION_MS);
    const publisher = new Publisher([nodes[0]!]);
    const restarting = { done: Promise.resolve() };
    await publisher.run(3000, async (i) => {
      if (i === 1000) restarting.done = redis!.restart(1000);
    });
    await restarting.done;
    await until(
      () => missing(publisher.acked, subscriber.got).length === 0,
      'every acknowledged message',
      30_000,
    );
    expect(publisher.acked.size).toBe(3000);
    // Still one broker afterwards: a new subscription on one node gets a message from the other.
    const late = await connectRecording(nodes[0]!.port);
    await late.client.subscribeAsync('after/#', { qos: 1 });
    await sleep(PROPAGATION_MS);
    const p = await connect(nodes[1]!.port);
    await p.publishAsync('after/restart', 'ok', { qos: 1 });
    await until(() => late.got.length === 1, 'a message across nodes after the restart');
    await end(late.client, p);
    await subscriber.stop();
  }, 120_000);
});
