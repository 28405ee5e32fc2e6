import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import type { Properties, PublishPacket, QoS } from '../../src/protocol/types.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/processes.js';
import { RawClient } from '../helpers/raw-client.js';

let b: InProcessBroker | undefined;
afterEach(async () => {
  await b?.stop();
  b = undefined;
});

/**
 * Topics and payloads of every shape the run writes: ASCII short and long, UTF-8, one-byte and
 * large payloads (an empty one would clear its topic [MQTT-3.3.1-10]).
 */
function retainedSet(count: number, qos: QoS): Message[] {
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    const topic =
      i % 7 === 0 ? `run/ü/${i}` : i % 11 === 0 ? `run/${'long-level/'.repeat(8)}${i}` : `run/t/${i}`;
    const size = i % 13 === 0 ? 1 : i % 17 === 0 ? 3000 : 1 + (i % 90);
    messages.push(new Message(topic, Buffer.alloc(size, i % 251), qos, true, undefined, 0, 'writer', false));
  }
  return messages;
}

/** The retained messages under `filter`, in the order the store replays them (retained.ts). */
function inStoreOrder(broker: InProcessBroker, filter: string): Message[] {
  const order: Message[] = [];
  broker.broker.retained.match(filter, (m) => order.push(m));
  return order;
}

/** Stores the messages; returns them in the order the store replays them. */
function store(broker: InProcessBroker, messages: Message[]): Message[] {
  for (const m of messages) broker.broker.publish(m);
  return inStoreOrder(broker, 'run/#');
}

async function subscribe(c: RawClient, qos: QoS, filters = ['run/#']): Promise<void> {
  c.send({
    type: 'subscribe',
    packetId: 1,
    subscriptions: filters.map((topicFilter) => ({ topicFilter, qos })),
  });
  await c.next('suback');
}

async function receive(c: RawClient, count: number): Promise<PublishPacket[]> {
  const got: PublishPacket[] = [];
  while (got.length < count) got.push(await c.next('publish'));
  return got;
}

async function subscribeAll(c: RawClient, qos: QoS, count: number): Promise<PublishPacket[]> {
  await subscribe(c, qos);
  return receive(c, count);
}

function expectSame(got: PublishPacket[], sent: Message[], qos: QoS): void {
  expect(got.map((p) => p.topic)).toEqual(sent.map((m) => m.topic));
  for (let i = 0; i < sent.length; i++) {
    expect(got[i]!.payload.equals(sent[i]!.payload)).toBe(true);
    expect(got[i]!.retain).toBe(true);
    expect(got[i]!.qos).toBe(qos);
    expect(got[i]!.dup).toBe(false);
  }
}

describe('retained replay runs', () => {
  it('3.1.1 and 5.0 [MQTT-3.3.1-8]: thousands of QoS 0 retained messages, each whole, in store order', async () => {
    b = await startBroker();
    const sent = store(b, retainedSet(3000, 0));
    for (const protocolVersion of [4, 5] as const) {
      const c = await RawClient.connect(b.port, { protocolVersion });
      const before = b.broker.stats.publishSent;
      expectSame(await subscribeAll(c, 0, sent.length), sent, 0);
      expect(await c.nothing('publish')).toBe(true);
      expect(b.broker.stats.publishSent - before).toBe(sent.length);
      c.end();
    }
  });

  it('two filters of one SUBSCRIBE: each replay in its own runs, the second after the first, none overwritten', async () => {
    b = await startBroker();
    store(b, retainedSet(1500, 0));
    const sent = [...inStoreOrder(b, 'run/t/#'), ...inStoreOrder(b, 'run/ü/#')];
    const c = await RawClient.connect(b.port);
    await subscribe(c, 0, ['run/t/#', 'run/ü/#']);
    expectSame(await receive(c, sent.length), sent, 0);
    c.end();
  });

  it('QoS 1: each delivery has its own packet id, in the inflight window until its PUBACK', async () => {
    b = await startBroker({ maxInflightMessages: 0 });
    const sent = store(b, retainedSet(2000, 1));
    const c = await RawClient.connect(b.port, { clientId: 'q1-replay' });
    const got = await subscribeAll(c, 1, sent.length);
    expectSame(got, sent, 1);
    expect(new Set(got.map((p) => p.packetId)).size).toBe(sent.length);
    const session = b.broker.sessions.get('q1-replay')!;
    expect(session.inflightCount).toBe(sent.length);
    for (const p of got) c.send({ type: 'puback', packetId: p.packetId! });
    await expect.poll(() => session.inflightCount).toBe(0);
    c.end();
  });

  it('QoS 1 with an inflight window: the replay goes on as acknowledgements open it', async () => {
    b = await startBroker({ maxInflightMessages: 20 });
    const sent = store(b, retainedSet(700, 1));
    const c = await RawClient.connect(b.port);
    await subscribe(c, 1);
    const got: PublishPacket[] = [];
    while (got.length < sent.length) {
      const p = await c.next('publish');
      got.push(p);
      c.send({ type: 'puback', packetId: p.packetId! });
    }
    expectSame(got, sent, 1);
    c.end();
  });

  it("5.0 [MQTT-3.3.4-9]: the replay stops at the client's Receive Maximum and goes on with each PUBACK", async () => {
    b = await startBroker({ maxInflightMessages: 0 });
    const sent = store(b, retainedSet(100, 1));
    const c = await RawClient.connect(b.port, { protocolVersion: 5, properties: { receiveMaximum: 10 } });
    await subscribe(c, 1);
    const got: PublishPacket[] = [];
    for (let i = 0; i < 10; i++) got.push(await c.next('publish'));
    expect(await c.nothing('publish', 200)).toBe(true);
    c.send({ type: 'puback', packetId: got[0]!.packetId! });
    got.push(await c.next('publish'));
    expect(await c.nothing('publish', 200)).toBe(true);
    expectSame(got, sent.slice(0, 11), 1);
    c.end();
  });

  it('5.0: a message with properties or an expiry goes the per-message way, in its place', async () => {
    b = await startBroker();
    const plain = retainedSet(600, 0);
    const withProperties = (i: number, properties: Properties, expiresAt = 0) =>
      new Message(`run/t/${i}`, Buffer.from(`p${i}`), 0, true, properties, expiresAt, 'writer', false);
    // Under run/t/, between plain ones in the store's order.
    const sent = store(b, [
      ...plain,
      withProperties(1, { contentType: 'text/plain' }),
      withProperties(2, { messageExpiryInterval: 100 }, Date.now() + 100_000),
    ]);
    const c = await RawClient.connect(b.port, { protocolVersion: 5 });
    const got = await subscribeAll(c, 0, sent.length);
    expectSame(got, sent, 0);
    const typed = sent.findIndex((m) => m.topic === 'run/t/1');
    const expiring = sent.findIndex((m) => m.topic === 'run/t/2');
    expect(typed).toBeGreaterThan(0);
    expect(got[typed]!.properties?.contentType).toBe('text/plain');
    expect(got[expiring]!.properties?.messageExpiryInterval).toBeGreaterThan(98);
    expect(got[0]!.properties ?? {}).toEqual({});
    c.end();
  });

  it("5.0 [MQTT-3.1.2-25]: only the messages over the client's Maximum Packet Size are left out", async () => {
    b = await startBroker();
    const sent = store(b, retainedSet(500, 0));
    const c = await RawClient.connect(b.port, {
      protocolVersion: 5,
      properties: { maximumPacketSize: 200 },
    });
    const fits = sent.filter((m) => m.payload.length < 100);
    const tooLarge = sent.length - fits.length;
    const dropped = b.broker.stats.droppedBy.tooLarge;
    expectSame(await subscribeAll(c, 0, fits.length), fits, 0);
    expect(await c.nothing('publish')).toBe(true);
    expect(b.broker.stats.droppedBy.tooLarge - dropped).toBe(tooLarge);
    c.end();
  });

  it('a topic the ACL denies is left out of the replay, at QoS 0 and QoS 1, and the rest go in order', async () => {
    const file = path.join(tempDir('mqx-run-acl-'), 'acl');
    writeFileSync(file, 'topic read run/#\ntopic deny run/ü/#\n');
    b = await startBroker({ security: { allowAnonymous: true, aclFile: file }, maxInflightMessages: 0 });
    for (const qos of [0, 1] as const) {
      const allowed = store(b, retainedSet(1000, qos)).filter((m) => !m.topic.startsWith('run/ü/'));
      const c = await RawClient.connect(b.port);
      expectSame(await subscribeAll(c, qos, allowed.length), allowed, qos);
      expect(await c.nothing('publish')).toBe(true);
      c.end();
    }
  });

  it('QoS 0 to a connection past max_queued_bytes: the first ones go, the rest are dropped and counted', async () => {
    b = await startBroker({ maxQueuedBytes: 20_000 });
    const sent = store(b, retainedSet(2000, 0));
    const c = await RawClient.connect(b.port);
    await subscribe(c, 0);
    const got: PublishPacket[] = [];
    for (;;) {
      const p = await c.next('publish', 300).catch(() => undefined);
      if (p === undefined) break;
      got.push(p);
    }
    const dropped = b.broker.stats.droppedBy.congested;
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(sent.length);
    expect(got.length + dropped).toBe(sent.length);
    expectSame(got, sent.slice(0, got.length), 0);
    c.end();
  });
});
