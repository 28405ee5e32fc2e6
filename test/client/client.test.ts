import { describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import type { ClientOptions } from '../../src/client/options.js';
import { ConnectionError, RefusedError, RejectedError, TimeoutError } from '../../src/errors.js';
import type { Packet, PublishPacket } from '../../src/protocol/types.js';
import { defaultResponder, FakeBroker, fakeBrokerPool } from './fake-broker.js';

const { brokers, clients, fake } = fakeBrokerPool();

async function connect(broker: FakeBroker, options: Partial<ClientOptions> = {}): Promise<Client> {
  const c = await Client.connect({
    broker: { scheme: 'mqtt', host: '127.0.0.1', port: broker.port },
    ...options,
  });
  clients.push(c);
  return c;
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('connect', () => {
  it('sends CONNECT with the options and resolves on an accepted CONNACK', async () => {
    const broker = await fake();
    const client = await connect(broker, {
      protocolVersion: 5,
      clientId: 'c1',
      keepalive: 30,
      username: 'u',
      password: 'p',
      sessionExpiry: 60,
      will: { topic: 'w', payload: Buffer.from('bye'), qos: 1, retain: true },
    });
    const { connect: packet } = await broker.connection(0);
    expect(packet).toMatchObject({
      protocolVersion: 5,
      clientId: 'c1',
      keepalive: 30,
      username: 'u',
      clean: true,
    });
    expect(packet.password?.toString()).toBe('p');
    expect(packet.properties?.sessionExpiryInterval).toBe(60);
    expect(packet.will).toMatchObject({ topic: 'w', qos: 1, retain: true });
    expect(client.connected).toBe(true);
  });

  it('speaks MQTT 3.1 with protocol name MQIsdp and a generated client id of at most 23 characters', async () => {
    const broker = await fake();
    const client = await connect(broker, { protocolVersion: 3 });
    const { connect: packet } = await broker.connection(0);
    expect(packet.protocolName).toBe('MQIsdp');
    expect(packet.clientId.length).toBeGreaterThan(0);
    expect(packet.clientId.length).toBeLessThanOrEqual(23);
    expect(client.clientId).toBe(packet.clientId);
  });

  it('rejects a 3.1.1 refusal with RefusedError naming the return code', async () => {
    const broker = await fake({ connack: () => ({ type: 'connack', sessionPresent: false, reasonCode: 5 }) });
    const err = await connect(broker).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).message).toContain('NotAuthorized');
    expect((err as RefusedError).exitCode).toBe(4);
  });

  it('rejects a 5.0 refusal with the reason code name', async () => {
    const broker = await fake({
      connack: () => ({ type: 'connack', sessionPresent: false, reasonCode: 0x86 }),
    });
    const err = await connect(broker, { protocolVersion: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).message).toContain('BadUserNameOrPassword');
    expect((err as RefusedError).reasonCode).toBe(0x86);
  });

  it('gives up with TimeoutError when no CONNACK comes', async () => {
    const broker = await fake({ connack: () => undefined });
    const err = await connect(broker, { connectTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
  });

  it('rejects with ConnectionError when nothing listens', async () => {
    const broker = await fake();
    const port = broker.port;
    await broker.stop();
    brokers.length = 0;
    const err = await Client.connect({ broker: { scheme: 'mqtt', host: '127.0.0.1', port } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('with reconnect on, keeps dialling until the broker appears', async () => {
    const broker = await fake();
    const port = broker.port;
    await broker.stop();
    brokers.length = 0;
    const pending = Client.connect({
      broker: { scheme: 'mqtt', host: '127.0.0.1', port },
      reconnect: { minDelayMs: 20, maxDelayMs: 50 },
      connectTimeoutMs: 5000,
    });
    await tick(150);
    const again = new FakeBroker();
    brokers.push(again);
    await new Promise<void>((resolve) =>
      (again as unknown as { server: import('node:net').Server }).server.listen(port, '127.0.0.1', resolve),
    );
    const client = await pending;
    clients.push(client);
    expect(client.connected).toBe(true);
  });
});

describe('publish', () => {
  it('QoS 0 resolves once written; QoS 1 on PUBACK; QoS 2 after PUBREC/PUBREL/PUBCOMP', async () => {
    const broker = await fake();
    const client = await connect(broker);
    await expect(client.publish('t/0', 'a')).resolves.toEqual({ reasonCode: 0 });
    await expect(client.publish('t/1', 'b', { qos: 1 })).resolves.toMatchObject({ reasonCode: 0 });
    await expect(client.publish('t/2', 'c', { qos: 2, retain: true })).resolves.toMatchObject({
      reasonCode: 0,
    });
    const conn = await broker.connection(0);
    const types = conn.received.map((p) => p.type);
    expect(types).toEqual(['publish', 'publish', 'publish', 'pubrel']);
    const q2 = conn.received[2] as PublishPacket;
    expect(q2).toMatchObject({ topic: 't/2', qos: 2, retain: true, dup: false });
    expect(q2.payload.toString()).toBe('c');
  });

  it('rejects with RejectedError on a 5.0 PUBACK reason code >= 0x80', async () => {
    const broker = await fake({
      onPacket: (p, conn) => {
        if (p.type === 'publish')
          conn.send({
            type: 'puback',
            packetId: p.packetId!,
            reasonCode: 0x87,
            properties: { reasonString: 'no' },
          });
      },
    });
    const client = await connect(broker, { protocolVersion: 5 });
    const err = await client.publish('t', 'x', { qos: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RejectedError);
    expect((err as RejectedError).reasonCode).toBe(0x87);
    expect((err as Error).message).toContain('NotAuthorized');
  });

  it('rejects a QoS 2 publish on a PUBREC reason code >= 0x80 without sending PUBREL', async () => {
    const broker = await fake({
      onPacket: (p, conn) => {
        if (p.type === 'publish') conn.send({ type: 'pubrec', packetId: p.packetId!, reasonCode: 0x97 });
      },
    });
    const client = await connect(broker, { protocolVersion: 5 });
    await expect(client.publish('t', 'x', { qos: 2 })).rejects.toBeInstanceOf(RejectedError);
    await tick();
    expect((await broker.connection(0)).received.some((p) => p.type === 'pubrel')).toBe(false);
  });

  it("never has more unacknowledged publishes than the broker's Receive Maximum", async () => {
    const held: PublishPacket[] = [];
    let maxOutstanding = 0;
    const broker = await fake({
      connack: () => ({
        type: 'connack',
        sessionPresent: false,
        reasonCode: 0,
        properties: { receiveMaximum: 3 },
      }),
      onPacket: (p) => {
        if (p.type === 'publish') {
          held.push(p);
          maxOutstanding = Math.max(maxOutstanding, held.length);
        }
      },
    });
    const client = await connect(broker, { protocolVersion: 5 });
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => client.publish('t', String(i), { qos: 1 })));
    const conn = await broker.connection(0);
    // Acknowledge slowly, one at a time.
    for (let acked = 0; acked < 10; ) {
      await tick(10);
      const p = held.shift();
      if (p) {
        conn.send({ type: 'puback', packetId: p.packetId! });
        acked++;
      }
    }
    await all;
    expect(maxOutstanding).toBe(3);
    const order = conn.received
      .filter((p): p is PublishPacket => p.type === 'publish')
      .map((p) => p.payload.toString());
    expect(order).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('end() waits for inflight publishes, then sends DISCONNECT', async () => {
    let conn: { send(p: Packet): void } | undefined;
    const broker = await fake({
      onPacket: (p, c) => {
        conn = c;
        if (p.type === 'publish') setTimeout(() => c.send({ type: 'puback', packetId: p.packetId! }), 100);
        if (p.type === 'disconnect') c.socket.end();
      },
    });
    const client = await connect(broker);
    const published = client.publish('t', 'x', { qos: 1 });
    await client.end();
    await expect(published).resolves.toMatchObject({ reasonCode: 0 });
    const c = await broker.connection(0);
    expect(c.received.map((p) => p.type)).toEqual(['publish', 'disconnect']);
    expect(conn).toBeDefined();
  });

  it('a lost connection with reconnect off rejects pending publishes and closes with ConnectionError', async () => {
    const broker = await fake({ onPacket: () => undefined });
    const client = await connect(broker);
    const closed = new Promise((resolve) => client.once('close', resolve));
    const pending = client.publish('t', 'x', { qos: 1 });
    (await broker.connection(0)).socket.destroy();
    await expect(pending).rejects.toBeInstanceOf(ConnectionError);
    expect(await closed).toBeInstanceOf(ConnectionError);
    await expect(client.publish('t', 'y')).rejects.toBeInstanceOf(ConnectionError);
  });
});

describe('reconnect and resend', () => {
  it('resends unacknowledged QoS 1 with DUP and QoS 2 PUBREL after a reconnect with a session', async () => {
    const broker = await fake({
      connack: (_c, index) => ({ type: 'connack', sessionPresent: index > 0, reasonCode: 0 }),
      onPacket: (p, conn) => {
        // First connection: swallow everything. Second: answer normally.
        if (broker.connections.indexOf(conn) === 0) {
          if (p.type === 'publish' && p.qos === 2) conn.send({ type: 'pubrec', packetId: p.packetId! });
          return;
        }
        defaultResponder(p, conn);
      },
    });
    const client = await connect(broker, {
      clean: false,
      clientId: 'keep',
      reconnect: { minDelayMs: 10, maxDelayMs: 20 },
    });
    const q1 = client.publish('a', '1', { qos: 1 });
    const q2 = client.publish('b', '2', { qos: 2 });
    const first = await broker.connection(0);
    await first.next('pubrel');
    first.socket.destroy();
    const second = await broker.connection(1);
    await expect(q1).resolves.toMatchObject({ reasonCode: 0 });
    await expect(q2).resolves.toMatchObject({ reasonCode: 0 });
    const resent = second.received.find((p): p is PublishPacket => p.type === 'publish');
    expect(resent).toMatchObject({ topic: 'a', dup: true, qos: 1 });
    expect(second.received.filter((p) => p.type === 'publish')).toHaveLength(1);
    expect(second.received.some((p) => p.type === 'pubrel')).toBe(true);
  });

  it('queues publishes while offline and sends them after reconnecting', async () => {
    const broker = await fake();
    const client = await connect(broker, { reconnect: { minDelayMs: 50, maxDelayMs: 50 } });
    const offline = new Promise((resolve) => client.once('offline', resolve));
    (await broker.connection(0)).socket.destroy();
    await offline;
    expect(client.connected).toBe(false);
    const queued = client.publish('q', 'while-offline', { qos: 1 });
    await expect(queued).resolves.toMatchObject({ reasonCode: 0 });
    const second = await broker.connection(1);
    expect((second.received[0] as PublishPacket).payload.toString()).toBe('while-offline');
  });

  it('gives up after maxAttempts and closes with ConnectionError', async () => {
    const broker = await fake();
    const client = await connect(broker, { reconnect: { minDelayMs: 10, maxDelayMs: 10, maxAttempts: 2 } });
    const closed = new Promise((resolve) => client.once('close', resolve));
    await broker.stop();
    brokers.length = 0;
    expect(await closed).toBeInstanceOf(ConnectionError);
  });
});

describe('inbound messages', () => {
  it('acknowledges QoS 1, runs the QoS 2 handshake and emits a redelivered QoS 2 message once', async () => {
    const broker = await fake();
    const client = await connect(broker);
    const messages: PublishPacket[] = [];
    client.on('message', (p) => messages.push(p));
    const conn = await broker.connection(0);
    conn.send({
      type: 'publish',
      topic: 'i/1',
      payload: Buffer.from('one'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 7,
    });
    conn.send({
      type: 'publish',
      topic: 'i/2',
      payload: Buffer.from('two'),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 8,
    });
    conn.send({
      type: 'publish',
      topic: 'i/2',
      payload: Buffer.from('two'),
      qos: 2,
      retain: false,
      dup: true,
      packetId: 8,
    });
    await conn.next('puback');
    await tick(50);
    conn.send({ type: 'pubrel', packetId: 8 });
    await conn.next('pubcomp');
    expect(messages.map((m) => m.topic)).toEqual(['i/1', 'i/2']);
    expect(conn.received.filter((p) => p.type === 'pubrec')).toHaveLength(2);
  });

  it('resolves inbound topic aliases (5.0)', async () => {
    const broker = await fake();
    const client = await connect(broker, { protocolVersion: 5, properties: { topicAliasMaximum: 5 } });
    const topics: string[] = [];
    client.on('message', (p) => topics.push(p.topic));
    const conn = await broker.connection(0);
    conn.send({
      type: 'publish',
      topic: 'long/topic',
      payload: Buffer.from('1'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 2 },
    });
    conn.send({
      type: 'publish',
      topic: '',
      payload: Buffer.from('2'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 2 },
    });
    await tick(50);
    expect(topics).toEqual(['long/topic', 'long/topic']);
  });

  it('subscribe and unsubscribe resolve with the codes the broker returns', async () => {
    const broker = await fake({
      onPacket: (p, conn) => {
        if (p.type === 'subscribe')
          conn.send({ type: 'suback', packetId: p.packetId, reasonCodes: [1, 0x80] });
        else defaultResponder(p, conn);
      },
    });
    const client = await connect(broker);
    await expect(
      client.subscribe([
        { topicFilter: 'a/#', qos: 1 },
        { topicFilter: 'b', qos: 2 },
      ]),
    ).resolves.toEqual([1, 0x80]);
    await expect(client.unsubscribe(['a/#'])).resolves.toEqual([0]);
  });
});

describe('keep alive', () => {
  it('sends PINGREQ when idle and treats a missing PINGRESP as a dead connection', async () => {
    const broker = await fake({ onPacket: () => undefined });
    const client = await connect(broker, { keepalive: 1 });
    const closed = new Promise((resolve) => client.once('close', resolve));
    const conn = await broker.connection(0);
    await conn.next('pingreq');
    const err = await closed;
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain('PINGRESP');
  }, 10_000);

  it('stays connected while the broker answers PINGREQ', async () => {
    const broker = await fake();
    const client = await connect(broker, { keepalive: 1 });
    await tick(2600);
    expect(client.connected).toBe(true);
    const pings = (await broker.connection(0)).received.filter((p) => p.type === 'pingreq');
    expect(pings.length).toBeGreaterThanOrEqual(2);
  }, 10_000);
});

describe('ending while connecting', () => {
  it('end() during reconnect retries stops connect() at once', async () => {
    const broker = await fake();
    const port = broker.port;
    await broker.stop();
    brokers.length = 0;
    const client = new Client({
      broker: { scheme: 'mqtt', host: '127.0.0.1', port },
      reconnect: { minDelayMs: 20, maxDelayMs: 20 },
      connectTimeoutMs: 10_000,
    });
    const started = Date.now();
    const connecting = client.connect().catch((e: unknown) => e);
    await tick(100);
    await client.end();
    expect(await connecting).toBeInstanceOf(ConnectionError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('packets only a client sends', () => {
  it('5.0 [MQTT-4.13.1-1] a SUBSCRIBE from the broker is a protocol error that closes the connection', async () => {
    const broker = await fake();
    const client = await connect(broker, { protocolVersion: 5 });
    const closed = new Promise((resolve) => client.once('close', resolve));
    (await broker.connection(0)).socket.write(Buffer.from([0x82, 0x01, 0x00]));
    const err = await closed;
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain('may not be sent by a server');
  });
});
