/**
 * The client's session state: inbound acknowledgements on the application's word (manualAck), in
 * arrival order, and flows in flight that a replacement Client resumes under the same packet ids.
 */
import { describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import type { ClientOptions } from '../../src/client/options.js';
import { ClientSession } from '../../src/client/session.js';
import type { AckPacket, PublishPacket, QoS } from '../../src/protocol/types.js';
import { defaultResponder, type FakeBroker, type FakeConnection, fakeBrokerPool } from './fake-broker.js';

const { clients, fake } = fakeBrokerPool();

function client(broker: FakeBroker, options: Partial<ClientOptions> = {}): Client {
  const c = new Client({ broker: { scheme: 'mqtt', host: '127.0.0.1', port: broker.port }, ...options });
  clients.push(c);
  return c;
}

function publish(packetId: number, qos: QoS, topic: string, dup = false): PublishPacket {
  return { type: 'publish', topic, payload: Buffer.from(topic), qos, retain: false, dup, packetId };
}

const acks = (conn: FakeConnection) =>
  conn.received
    .filter((p): p is AckPacket => p.type === 'puback' || p.type === 'pubrec')
    .map((p) => `${p.type} ${p.packetId}`);

/**
 * Everything the client sent before this call has reached the broker once it resolves: a
 * SUBSCRIBE round trip behind it on the same connection, so no timer decides.
 */
async function drained(c: Client): Promise<void> {
  await c.subscribe([{ topicFilter: 'drain', qos: 0 }]);
}

/** Resolves once the client has emitted `count` messages. */
function collect(c: Client, count: number): Promise<Array<{ packet: PublishPacket; ack: () => void }>> {
  const got: Array<{ packet: PublishPacket; ack: () => void }> = [];
  return new Promise((resolve) => {
    c.on('message', (packet, ack) => {
      got.push({ packet, ack });
      if (got.length === count) resolve(got);
    });
  });
}

describe('manualAck', () => {
  it('acknowledges QoS 1 and 2 only when told, in the order the messages came', async () => {
    const broker = await fake();
    const c = client(broker, { manualAck: true });
    const messages = collect(c, 3);
    await c.connect();
    const conn = await broker.connection(0);
    conn.send(publish(1, 1, 'a'));
    conn.send(publish(2, 2, 'b'));
    conn.send(publish(3, 1, 'c'));
    const [a, b, m3] = await messages;
    await drained(c);
    expect(acks(conn)).toEqual([]);
    m3!.ack();
    b!.ack();
    await drained(c);
    // c and b wait for a: acknowledgements leave in arrival order [MQTT-4.6.0-2, -3].
    expect(acks(conn)).toEqual([]);
    a!.ack();
    a!.ack();
    await drained(c);
    expect(acks(conn)).toEqual(['puback 1', 'pubrec 2', 'puback 3']);
  });

  it('a QoS 2 message held over a reconnect is not delivered again and is acknowledged on the new connection', async () => {
    const broker = await fake({
      connack: (_c, index) => ({ type: 'connack', sessionPresent: index > 0, reasonCode: 0 }),
    });
    const c = client(broker, {
      manualAck: true,
      clean: false,
      clientId: 'held',
      reconnect: { minDelayMs: 10, maxDelayMs: 20 },
    });
    const first = collect(c, 2);
    await c.connect();
    const conn = await broker.connection(0);
    conn.send(publish(5, 2, 'q2'));
    conn.send(publish(6, 1, 'q1'));
    const [q2, q1] = await first;
    conn.socket.destroy();
    const second = await broker.connection(1);
    const again = new Promise<PublishPacket>((resolve) => c.on('message', (p) => resolve(p)));
    // The broker sends both again; only the QoS 1 one is delivered again.
    second.send(publish(5, 2, 'q2', true));
    second.send(publish(6, 1, 'q1', true));
    expect((await again).topic).toBe('q1');
    q1!.ack();
    q2!.ack();
    await drained(c);
    expect(acks(second)).toEqual(['pubrec 5']);
  });
});

describe('a ClientSession shared by successive Clients', () => {
  it('the next Client resends PUBLISH with DUP and PUBREL under the same ids, and settles the first one’s promises', async () => {
    const broker = await fake({
      connack: (_c, index) => ({ type: 'connack', sessionPresent: index > 0, reasonCode: 0 }),
      onPacket: (p, conn) => {
        if (broker.connections.indexOf(conn) > 0) return defaultResponder(p, conn);
        // First connection: PUBREC for QoS 2, nothing else.
        if (p.type === 'publish' && p.qos === 2) conn.send({ type: 'pubrec', packetId: p.packetId! });
      },
    });
    const session = new ClientSession();
    const first = client(broker, { session, clean: false, clientId: 's' });
    await first.connect();
    const q1 = first.publish('a', '1', { qos: 1 });
    const q2 = first.publish('b', '2', { qos: 2 });
    const conn = await broker.connection(0);
    await conn.next('pubrel');
    first.destroy();
    const ids = conn.received.filter((p): p is PublishPacket => p.type === 'publish').map((p) => p.packetId);

    const second = client(broker, { session, clean: false, clientId: 's' });
    await second.connect();
    await expect(q1).resolves.toMatchObject({ reasonCode: 0 });
    await expect(q2).resolves.toMatchObject({ reasonCode: 0 });
    const next = await broker.connection(1);
    expect(
      next.received.map((p) => [p.type, 'packetId' in p ? p.packetId : 0, p.type === 'publish' && p.dup]),
    ).toEqual([
      ['publish', ids[0], true],
      ['pubrel', ids[1], false],
    ]);
  });

  it('takes caller-chosen ids for resumed flows, and never takes reserved ids for its own packets', async () => {
    const broker = await fake();
    const reserved = new Set([1, 2]);
    const c = client(broker, { session: new ClientSession({ reserved: (id) => reserved.has(id) }) });
    await c.connect();
    await c.publish('resumed', 'x', { qos: 1, packetId: 2, dup: true });
    await c.publish('released', 'x', { qos: 2, packetId: 1, released: true });
    await c.publish('own', 'x', { qos: 1 });
    const taken = c.publish('taken', 'x', { qos: 1, packetId: 9 });
    await expect(c.publish('clash', 'x', { qos: 1, packetId: 9 })).rejects.toThrow(/not free/);
    await expect(c.publish('qos0', 'x', { qos: 0, packetId: 4 })).rejects.toThrow(/not free/);
    await taken;
    const conn = await broker.connection(0);
    expect(
      conn.received.map((p) => [p.type, 'packetId' in p ? p.packetId : 0, p.type === 'publish' && p.dup]),
    ).toEqual([
      ['publish', 2, true],
      ['pubrel', 1, false],
      ['publish', 3, false],
      ['publish', 9, false],
    ]);
  });

  it('reports PUBREC to a caller that records the flow’s progress', async () => {
    const broker = await fake();
    const c = client(broker);
    await c.connect();
    let pubrecs = 0;
    await c.publish('t', 'x', { qos: 2, onPubrec: () => pubrecs++ });
    expect(pubrecs).toBe(1);
  });
});
