import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import type { RunningBroker } from '../helpers/processes.js';
import { type RunningRedis, startRedis } from '../helpers/redis.js';
import {
  connect,
  connectRecording,
  end,
  PROPAGATION_MS,
  record,
  sleep,
  startNodes,
  until,
} from './cluster-helpers.js';

describe.skipIf(!peers.redis())('three mqx nodes on one Redis behave as one broker', () => {
  let redis: RunningRedis;
  let nodes: RunningBroker[];
  beforeAll(async () => {
    redis = await startRedis();
    nodes = await startNodes(redis, 3);
  }, 30_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
  });

  it('a message published on any node reaches the subscribers on every node once, at the lower QoS', async () => {
    const subs = await Promise.all(nodes.map((n) => connect(n.port)));
    const got = subs.map(record);
    await Promise.all(subs.map((s, i) => s.subscribeAsync('all/#', { qos: i as 0 | 1 | 2 })));
    await sleep(PROPAGATION_MS);
    const pubs = await Promise.all(nodes.map((n) => connect(n.port)));
    for (let i = 0; i < 3; i++)
      for (let m = 0; m < 50; m++) await pubs[i]!.publishAsync(`all/${i}`, `${i}-${m}`, { qos: 2 });
    await until(() => got.every((g) => g.length >= 150), '150 messages on every node');
    await sleep(200);
    for (let i = 0; i < 3; i++) {
      expect(got[i]!.length).toBe(150);
      expect(new Set(got[i]!.map((m) => m.payload)).size).toBe(150);
      expect(got[i]!.every((m) => m.qos === i)).toBe(true);
      for (let from = 0; from < 3; from++) {
        const fromNode = got[i]!.filter((m) => m.topic === `all/${from}`).map((m) => m.payload);
        expect(fromNode).toEqual(Array.from({ length: 50 }, (_, m) => `${from}-${m}`));
      }
    }
    await end(...subs, ...pubs);
  });

  it('mosquitto_sub on one node gets what mosquitto_pub sends to another', async () => {
    if (!peers.mosquittoClients()) return;
    const sub = execa(
      'mosquitto_sub',
      ['-p', String(nodes[2]!.port), '-t', 'mosq/#', '-q', '1', '-v', '-C', '3'],
      {
        reject: false,
        timeout: 15_000,
      },
    );
    await sleep(500 + PROPAGATION_MS);
    for (let i = 0; i < 3; i++)
      await execa('mosquitto_pub', [
        '-p',
        String(nodes[0]!.port),
        '-t',
        `mosq/${i}`,
        '-m',
        `m${i}`,
        '-q',
        '1',
      ]);
    const { stdout, exitCode } = await sub;
    expect(exitCode).toBe(0);
    expect(stdout.split('\n')).toEqual(['mosq/0 m0', 'mosq/1 m1', 'mosq/2 m2']);
  });

  it('retained messages are shared: set on one node, delivered by the others, cleared everywhere', async () => {
    const p = await connect(nodes[0]!.port);
    await p.publishAsync('kept/a', 'A', { qos: 1, retain: true });
    await sleep(PROPAGATION_MS);
    for (const node of nodes.slice(1)) {
      const s = await connect(node.port);
      const got = record(s);
      await s.subscribeAsync('kept/#', { qos: 1 });
      await until(() => got.length === 1, 'the retained message');
      expect(got[0]).toMatchObject({ topic: 'kept/a', payload: 'A', retain: true });
      await end(s);
    }
    await p.publishAsync('kept/a', '', { qos: 1, retain: true });
    await sleep(PROPAGATION_MS);
    const s = await connect(nodes[2]!.port);
    const got = record(s);
    await s.subscribeAsync('kept/#', { qos: 1 });
    await sleep(300);
    expect(got).toEqual([]);
    await end(p, s);
  });

  it('a persistent session follows its client: what was queued on node A arrives on node B', async () => {
    const opts = { clientId: 'follow-me', clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await connect(nodes[0]!.port, opts);
    await first.subscribeAsync('follow/#', { qos: 1 });
    await end(first);
    await sleep(PROPAGATION_MS);
    const p = await connect(nodes[2]!.port);
    for (let i = 0; i < 20; i++) await p.publishAsync(`follow/${i}`, String(i), { qos: 1 });
    const { client: again, got } = await connectRecording(nodes[1]!.port, opts);
    await until(() => got.length >= 20, '20 queued messages');
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    await p.publishAsync('follow/after', 'live', { qos: 1 });
    await until(() => got.length === 21, 'a message after the move');
    await end(again, p);
  });

  it('connecting to node B with the id of a client on node A takes the session over', async () => {
    const opts = { clientId: 'taken', clean: false, properties: { sessionExpiryInterval: 300 } };
    const a = await connect(nodes[0]!.port, opts);
    await a.subscribeAsync('taken/#', { qos: 1 });
    const reason = new Promise<number | undefined>((resolve) =>
      a.once('disconnect', (packet) => resolve(packet.reasonCode)),
    );
    const b = await connect(nodes[1]!.port, opts);
    expect(await reason).toBe(0x8e);
    const got = record(b);
    await sleep(PROPAGATION_MS);
    const p = await connect(nodes[2]!.port);
    await p.publishAsync('taken/x', 'to b', { qos: 1 });
    await until(() => got.length === 1, 'the message on the new connection');
    await end(a, b, p);
  });

  it('a shared subscription gives each message to exactly one member across the nodes', async () => {
    const members = await Promise.all(nodes.map((n) => connect(n.port)));
    const got = members.map(record);
    await Promise.all(members.map((m) => m.subscribeAsync('$share/g/work/#', { qos: 1 })));
    await sleep(PROPAGATION_MS);
    const p = await connect(nodes[0]!.port);
    for (let i = 0; i < 300; i++) await p.publishAsync(`work/${i}`, String(i), { qos: 1 });
    await until(() => got.reduce((n, g) => n + g.length, 0) >= 300, '300 messages in the group');
    await sleep(300);
    const all = got.flat().map((m) => m.payload);
    expect(all.length).toBe(300);
    expect(new Set(all).size).toBe(300);
    for (const g of got) expect(g.length).toBeGreaterThan(0);
    await end(...members, p);
  });

  it('a will is published once, on every node', async () => {
    const watchers = await Promise.all(nodes.map((n) => connect(n.port)));
    const got = watchers.map(record);
    await Promise.all(watchers.map((w) => w.subscribeAsync('wills/#', { qos: 1 })));
    await sleep(PROPAGATION_MS);
    const dying = await connect(nodes[1]!.port, {
      clientId: 'dying',
      will: { topic: 'wills/dying', payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    dying.stream.destroy();
    await until(() => got.every((g) => g.length >= 1), 'the will on every node');
    await sleep(500);
    for (const g of got) expect(g.map((m) => m.payload)).toEqual(['gone']);
    dying.end(true);
    await end(...watchers);
  });

  it('$SYS/broker/cluster shows the nodes and the cluster totals', async () => {
    const s = await connect(nodes[0]!.port);
    const got = record(s);
    await s.subscribeAsync('$SYS/broker/cluster/#');
    await until(
      () => got.some((m) => m.topic === '$SYS/broker/cluster/nodes' && m.payload === '3'),
      '$SYS/broker/cluster/nodes = 3',
      25_000,
    );
    expect(got.some((m) => m.topic === '$SYS/broker/cluster/clients/connected')).toBe(true);
    expect(
      got.filter((m) => /^\$SYS\/broker\/cluster\/node\/[^/]+\/clients\/connected$/.test(m.topic)).length,
    ).toBe(3);
    await end(s);
  }, 30_000);
});
