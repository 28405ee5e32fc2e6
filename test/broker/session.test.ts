import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { Outgoing, Session } from '../../src/broker/session.js';
import { encode } from '../../src/protocol/encoder.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let b: InProcessBroker;
beforeAll(async () => {
  b = await startBroker({ maxQueuedMessages: 50 });
});
afterAll(() => b.stop());

async function publishQos1(port: number, topic: string, count: number, prefix = ''): Promise<void> {
  const p = await RawClient.connect(port);
  for (let i = 0; i < count; i++) {
    p.send({
      type: 'publish',
      topic,
      payload: Buffer.from(`${prefix}${i}`),
      qos: 1,
      retain: false,
      dup: false,
      packetId: (i % 65535) + 1,
    });
  }
  for (let i = 0; i < count; i++) await p.next('puback');
  p.end();
}

describe('Session and Outgoing flags', () => {
  it('keeps the next packet id, congested, bridge and listener index apart in one integer, and no rare state for them', () => {
    const s = new Session('c');
    s.listenerIndex = 5;
    s.isBridge = true;
    s.congested = true;
    expect([s.listenerIndex, s.isBridge, s.congested]).toEqual([5, true, true]);
    s.congested = false;
    s.listenerIndex = 16_383;
    expect([s.listenerIndex, s.isBridge, s.congested]).toEqual([16_383, true, false]);
    s.listenerIndex = 2;
    expect([s.listenerIndex, s.isBridge, s.congested]).toEqual([2, true, false]);
    // Packet ids run 1..65535 and wrap to 1, leaving the bits above them as they were.
    const ids = Array.from({ length: 65_536 }, () => s.allocatePacketId());
    expect([ids[0], ids[65_534], ids[65_535]]).toEqual([1, 65_535, 1]);
    expect([s.listenerIndex, s.isBridge, s.congested]).toEqual([2, true, false]);
    s.congested = true;
    expect(s.allocatePacketId()).toBe(2);
    s.expiryInterval = 0;
    s.storeId = 0;
    expect(Reflect.get(s, 'rare')).toBeUndefined();
    s.expiryInterval = 0xffffffff;
    expect([s.expiryInterval, s.storeId]).toEqual([0xffffffff, 0]);
  });

  it('counts queued bytes in the queue, so a session that queues nothing makes none', () => {
    const s = new Session('c');
    s.queuedBytes = 0;
    expect(Reflect.get(s, 'queueFifo')).toBeUndefined();
    s.queuedBytes += 10;
    s.queuedBytes += 5;
    expect([s.queuedBytes, s.queuedCount]).toEqual([15, 0]);
    s.clear();
    expect(s.queuedBytes).toBe(0);
    expect(Reflect.get(s, 'queueFifo')).toBeUndefined();
  });

  it("keeps a delivery's QoS, retain, released and sent apart", () => {
    const m = new Message('t', Buffer.alloc(0), 2, true, undefined, 0, 'o', true, 1_700_000_123_456);
    expect([m.qos, m.retain, m.fromBridge, m.receivedAt]).toEqual([2, true, true, 1_700_000_123_000]);
    const out = new Outgoing(m, 2, true, [3], 9);
    out.sent = true;
    expect([out.qos, out.retain, out.released, out.sent, out.packetId]).toEqual([2, true, false, true, 9]);
    out.released = true;
    out.sent = false;
    expect([out.qos, out.retain, out.released, out.sent]).toEqual([2, true, true, false]);
  });
});

describe('persistent sessions', () => {
  it('3.1.1 [MQTT-3.1.2-5] [MQTT-3.1.2-4] [MQTT-4.5.0-1] queues QoS 1 messages for an offline persistent session and delivers them on return', async () => {
    const c = await RawClient.connect(b.port, { clientId: 'offline-1', clean: false });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'off/t', qos: 1 }] });
    await c.next('suback');
    c.send({ type: 'disconnect' });
    await c.expectClosed();
    await publishQos1(b.port, 'off/t', 5);
    const back = await RawClient.connect(b.port, { clientId: 'offline-1', clean: false });
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await back.next('publish');
      got.push(m.payload.toString());
      back.send({ type: 'puback', packetId: m.packetId! });
    }
    expect(got).toEqual(['0', '1', '2', '3', '4']);
    back.end();
  });

  it('does not queue QoS 0 messages for offline sessions (queue_qos0_messages false)', async () => {
    const c = await RawClient.connect(b.port, { clientId: 'offline-q0', clean: false });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'offq0/t', qos: 0 }] });
    await c.next('suback');
    c.send({ type: 'disconnect' });
    await c.expectClosed();
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'offq0/t',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
    });
    p.end();
    await new Promise((r) => setTimeout(r, 100));
    const back = await RawClient.connect(b.port, { clientId: 'offline-q0', clean: false });
    expect(await back.nothing('publish')).toBe(true);
    back.end();
  });

  it('3.1.1 [MQTT-4.4.0-1] [MQTT-3.3.1-1] resends unacknowledged messages with DUP after reconnecting', async () => {
    const c = await RawClient.connect(b.port, { clientId: 'dup-resend', clean: false });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'dup/t', qos: 1 }] });
    await c.next('suback');
    await publishQos1(b.port, 'dup/t', 1);
    const first = await c.next('publish');
    expect(first.dup).toBe(false);
    c.socket.destroy();
    await c.closed;
    await new Promise((r) => setTimeout(r, 50));
    const back = await RawClient.connect(b.port, { clientId: 'dup-resend', clean: false });
    const again = await back.next('publish');
    expect(again.dup).toBe(true);
    expect(again.packetId).toBe(first.packetId);
    expect(again.payload.toString()).toBe('0');
    back.send({ type: 'puback', packetId: again.packetId! });
    back.end();
  });

  it('3.1.1 [MQTT-4.4.0-1] resends PUBREL for a QoS 2 delivery that had been received (PUBREC) before the drop', async () => {
    const c = await RawClient.connect(b.port, { clientId: 'rel-resend', clean: false });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'rel/t', qos: 2 }] });
    await c.next('suback');
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'rel/t',
      payload: Buffer.from('q2'),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 1,
    });
    await p.next('pubrec');
    p.send({ type: 'pubrel', packetId: 1 });
    const m = await c.next('publish');
    c.send({ type: 'pubrec', packetId: m.packetId! });
    await c.next('pubrel');
    c.socket.destroy();
    await c.closed;
    await new Promise((r) => setTimeout(r, 50));
    const back = await RawClient.connect(b.port, { clientId: 'rel-resend', clean: false });
    expect((await back.next('pubrel')).packetId).toBe(m.packetId);
    back.send({ type: 'pubcomp', packetId: m.packetId! });
    expect(await back.nothing('publish')).toBe(true);
    back.end();
    p.end();
  });

  it('3.1.1 [MQTT-3.1.2-6] discards the session of a clean-session client when it disconnects', async () => {
    const c = await RawClient.connect(b.port, { clientId: 'clean-gone', clean: true });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'cg/t', qos: 1 }] });
    await c.next('suback');
    c.send({ type: 'disconnect' });
    await c.expectClosed();
    await new Promise((r) => setTimeout(r, 50));
    expect(b.broker.sessions.has('clean-gone')).toBe(false);
  });

  it('5.0 [MQTT-3.1.2-23] [MQTT-4.1.0-2] a 5.0 session ends after its Session Expiry Interval', async () => {
    const c = await RawClient.connect(b.port, {
      clientId: 'expiring',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 1 },
    });
    c.send({ type: 'disconnect' });
    await c.expectClosed();
    expect(b.broker.sessions.has('expiring')).toBe(true);
    await new Promise((r) => setTimeout(r, 2_300));
    expect(b.broker.sessions.has('expiring')).toBe(false);
  });

  it('5.0 [MQTT-4.13.1-1] (§3.14.2.2.2, unnumbered) refuses a DISCONNECT that sets a session expiry when CONNECT had none', async () => {
    const c = await RawClient.connect(b.port, { protocolVersion: 5 });
    c.send({ type: 'disconnect', properties: { sessionExpiryInterval: 60 } });
    expect((await c.next('disconnect')).reasonCode).toBe(0x82);
    await c.expectClosed();
  });

  it('a DISCONNECT may change a non-zero session expiry, and 0xFFFFFFFF keeps it forever', async () => {
    const c = await RawClient.connect(b.port, {
      clientId: 'forever',
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 1 },
    });
    c.send({ type: 'disconnect', properties: { sessionExpiryInterval: 0xffffffff } });
    await c.expectClosed();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(b.broker.sessions.get('forever')?.expiresAt).toBe(0);
  });

  it('drops messages beyond max_queued_messages and counts them', async () => {
    const c = await RawClient.connect(b.port, { clientId: 'q-limit', clean: false });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'ql/t', qos: 1 }] });
    await c.next('suback');
    c.send({ type: 'disconnect' });
    await c.expectClosed();
    const droppedBefore = b.broker.stats.dropped;
    await publishQos1(b.port, 'ql/t', 80);
    expect(b.broker.sessions.get('q-limit')!.queue.length).toBe(50);
    expect(b.broker.stats.dropped - droppedBefore).toBe(30);
    const back = await RawClient.connect(b.port, { clientId: 'q-limit', clean: true });
    back.end();
  });
});

describe('flow control', () => {
  it('keeps at most max_inflight_messages unacknowledged and sends the rest as acks come', async () => {
    const c = await RawClient.connect(b.port, { clientId: 'window' });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'win/t', qos: 1 }] });
    await c.next('suback');
    await publishQos1(b.port, 'win/t', 30);
    await new Promise((r) => setTimeout(r, 100));
    const first = c.received.filter((p) => p.type === 'publish');
    expect(first.length).toBe(20);
    c.received.length = 0;
    for (const p of first) if (p.type === 'publish') c.send({ type: 'puback', packetId: p.packetId! });
    await new Promise((r) => setTimeout(r, 100));
    expect(c.received.filter((p) => p.type === 'publish').length).toBe(10);
    c.end();
  });

  it('5.0 [MQTT-3.3.4-9] honours a 5.0 client Receive Maximum', async () => {
    const c = await RawClient.connect(b.port, { protocolVersion: 5, properties: { receiveMaximum: 3 } });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'rm/t', qos: 1 }] });
    await c.next('suback');
    await publishQos1(b.port, 'rm/t', 10);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.received.filter((p) => p.type === 'publish').length).toBe(3);
    c.end();
  });

  it('5.0 [MQTT-3.1.2-24] [MQTT-3.1.2-25] never sends a 5.0 client a packet over its Maximum Packet Size', async () => {
    const c = await RawClient.connect(b.port, { protocolVersion: 5, properties: { maximumPacketSize: 100 } });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'mps/t', qos: 0 }] });
    await c.next('suback');
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'mps/t',
      payload: Buffer.alloc(500),
      qos: 0,
      retain: false,
      dup: false,
    });
    p.send({
      type: 'publish',
      topic: 'mps/t',
      payload: Buffer.from('small'),
      qos: 0,
      retain: false,
      dup: false,
    });
    const got = await c.next('publish');
    expect(got.payload.toString()).toBe('small');
    p.end();
    c.end();
  });

  it('uses topic aliases towards a 5.0 client that allows them', async () => {
    const c = await RawClient.connect(b.port, { protocolVersion: 5, properties: { topicAliasMaximum: 5 } });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'ta/t', qos: 0 }] });
    await c.next('suback');
    const p = await RawClient.connect(b.port);
    for (let i = 0; i < 3; i++)
      p.send({
        type: 'publish',
        topic: 'ta/t',
        payload: Buffer.from(String(i)),
        qos: 0,
        retain: false,
        dup: false,
      });
    const first = await c.next('publish');
    expect(first.topic).toBe('ta/t');
    expect(first.properties?.topicAlias).toBe(1);
    const second = await c.next('publish');
    expect(second.topic).toBe('');
    expect(second.properties?.topicAlias).toBe(1);
    p.end();
    c.end();
  });

  it('a subscriber that never reads does not block the publisher, and broker memory stays bounded', async () => {
    const slow = net.connect({ port: b.port, host: '127.0.0.1' });
    await new Promise((r) => slow.once('connect', r));
    slow.write(
      encode(
        {
          type: 'connect',
          protocolName: 'MQTT',
          protocolVersion: 4,
          bridge: false,
          clean: true,
          keepalive: 0,
          clientId: 'never-reads',
        },
        4,
      ),
    );
    slow.write(
      encode({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'flood/t', qos: 0 }] }, 4),
    );
    slow.pause();
    await new Promise((r) => setTimeout(r, 100));
    const p = await RawClient.connect(b.port);
    const payload = Buffer.alloc(16 * 1024, 1);
    const total = 4000; // 64 MiB offered to a reader that takes nothing.
    for (let i = 0; i < total; i++)
      p.send({ type: 'publish', topic: 'flood/t', payload, qos: 0, retain: false, dup: false });
    p.send({ type: 'pingreq' });
    await p.next('pingresp', 20_000);
    // What the broker holds for the reader is its socket backlog, capped at 8 MiB (+ one message).
    const conn = [...b.broker.connections].find((x) => x.clientId === 'never-reads')!;
    expect(conn.socket.writableLength).toBeLessThan(8 * 1024 * 1024 + 2 * payload.length);
    expect(b.broker.stats.dropped).toBeGreaterThan(total / 2);
    p.end();
    slow.destroy();
  }, 60_000);
});

describe('scale', () => {
  it('serves 1,000 concurrent clients', async () => {
    const clients = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => RawClient.connect(b.port, { clientId: `many-${i}` })),
    );
    await Promise.all(
      clients.map(async (c) => {
        c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'many/all', qos: 0 }] });
        await c.next('suback');
      }),
    );
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'many/all',
      payload: Buffer.from('hi'),
      qos: 0,
      retain: false,
      dup: false,
    });
    const got = await Promise.all(clients.map((c) => c.next('publish', 10_000)));
    expect(got.every((m) => m.payload.toString() === 'hi')).toBe(true);
    for (const c of [...clients, p]) c.end();
  }, 60_000);
});

describe('outbound topic aliases and Maximum Packet Size', () => {
  it('5.0 [MQTT-3.1.2-25] a message dropped as too large establishes no topic alias', async () => {
    const c = await RawClient.connect(b.port, {
      protocolVersion: 5,
      properties: { topicAliasMaximum: 5, maximumPacketSize: 100 },
    });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'alias-drop/t', qos: 0 }] });
    await c.next('suback');
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'alias-drop/t',
      payload: Buffer.alloc(500),
      qos: 0,
      retain: false,
      dup: false,
    });
    p.send({
      type: 'publish',
      topic: 'alias-drop/t',
      payload: Buffer.from('fits'),
      qos: 0,
      retain: false,
      dup: false,
    });
    const got = await c.next('publish');
    expect(got.payload.toString()).toBe('fits');
    expect(got.topic).toBe('alias-drop/t');
    expect(got.properties?.topicAlias).toBe(1);
    p.end();
    c.end();
  });
});
