import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let b: InProcessBroker;
beforeAll(async () => {
  b = await startBroker({ sysInterval: 1 });
});
afterAll(() => b.stop());

async function sysTree(c: RawClient): Promise<Map<string, string>> {
  const tree = new Map<string, string>();
  for (;;) {
    try {
      const p = await c.next('publish', 300);
      tree.set(p.topic, p.payload.toString());
    } catch {
      return tree;
    }
  }
}

describe('$SYS', () => {
  it("publishes mosquitto 2.0's $SYS/broker tree, retained", async () => {
    const c = await RawClient.connect(b.port, { clientId: 'sys-watcher' });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: '$SYS/#', qos: 0 }] });
    await c.next('suback');
    const tree = await sysTree(c);
    for (const topic of [
      '$SYS/broker/version',
      '$SYS/broker/uptime',
      '$SYS/broker/clients/connected',
      '$SYS/broker/clients/total',
      '$SYS/broker/clients/maximum',
      '$SYS/broker/messages/received',
      '$SYS/broker/messages/sent',
      '$SYS/broker/publish/messages/dropped',
      '$SYS/broker/bytes/received',
      '$SYS/broker/bytes/sent',
      '$SYS/broker/subscriptions/count',
      '$SYS/broker/retained messages/count',
      '$SYS/broker/store/messages/count',
      '$SYS/broker/heap/current',
      '$SYS/broker/load/messages/received/1min',
      '$SYS/broker/load/bytes/sent/15min',
      '$SYS/broker/load/connections/5min',
    ]) {
      expect(tree.has(topic), topic).toBe(true);
    }
    expect(tree.get('$SYS/broker/uptime')).toMatch(/^\d+ seconds$/);
    c.end();
  });

  it('updates counters every sys_interval, publishing only values that changed', async () => {
    const c = await RawClient.connect(b.port);
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: '$SYS/broker/clients/connected', qos: 0 }],
    });
    await c.next('suback');
    await c.next('publish');
    const extra = await RawClient.connect(b.port);
    const expected = b.broker.connectedCount;
    let seen = -1;
    const deadline = Date.now() + 3_000;
    while (seen !== expected && Date.now() < deadline)
      seen = Number((await c.next('publish', 3_000)).payload.toString());
    expect(seen).toBe(expected);
    extra.end();
    c.end();
  });
});
