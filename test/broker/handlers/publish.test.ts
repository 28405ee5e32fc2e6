import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessBroker, startBroker } from '../../helpers/broker.js';
import { RawClient } from '../../helpers/raw-client.js';

let b: InProcessBroker;
beforeAll(async () => {
  b = await startBroker({ messageSizeLimit: 1000 });
});
afterAll(() => b.stop());

const payload = (s: string) => Buffer.from(s);

async function subscriber(topic: string, qos: 0 | 1 | 2, opts: Parameters<typeof RawClient.connect>[1] = {}) {
  const c = await RawClient.connect(b.port, opts);
  c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: topic, qos }] });
  await c.next('suback');
  return c;
}

describe('PUBLISH and QoS', () => {
  it('3.1.1 [MQTT-3.3.4-1] [MQTT-4.3.2-2] acknowledges QoS 1 with PUBACK carrying its packet id', async () => {
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'q1/a',
      payload: payload('x'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 77,
    });
    expect((await p.next('puback')).packetId).toBe(77);
    p.end();
  });

  it('3.1.1 [MQTT-4.3.3-2] [MQTT-4.3.3-1] runs the QoS 2 flow PUBREC / PUBREL / PUBCOMP', async () => {
    const sub = await subscriber('q2/flow', 2);
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'q2/flow',
      payload: payload('once'),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 9,
    });
    expect((await p.next('pubrec')).packetId).toBe(9);
    p.send({ type: 'pubrel', packetId: 9 });
    expect((await p.next('pubcomp')).packetId).toBe(9);
    const got = await sub.next('publish');
    expect(got.qos).toBe(2);
    expect(got.payload.toString()).toBe('once');
    sub.send({ type: 'pubrec', packetId: got.packetId! });
    expect((await sub.next('pubrel')).packetId).toBe(got.packetId);
    sub.send({ type: 'pubcomp', packetId: got.packetId! });
    p.end();
    sub.end();
  });

  it('3.1.1 [MQTT-4.3.3-2] never delivers a resent QoS 2 PUBLISH twice before PUBREL', async () => {
    const sub = await subscriber('q2/dedup', 2);
    const p = await RawClient.connect(b.port);
    const msg = {
      type: 'publish' as const,
      topic: 'q2/dedup',
      payload: payload('one'),
      qos: 2 as const,
      retain: false,
      dup: false,
      packetId: 5,
    };
    p.send(msg);
    await p.next('pubrec');
    p.send({ ...msg, dup: true });
    await p.next('pubrec');
    p.send({ type: 'pubrel', packetId: 5 });
    await p.next('pubcomp');
    await sub.next('publish');
    expect(await sub.nothing('publish', 300)).toBe(true);
    p.end();
    sub.end();
  });

  it('3.1.1 [MQTT-3.8.4-6] delivers at the minimum of publish QoS and subscription QoS', async () => {
    const sub0 = await subscriber('minq/t', 0);
    const sub2 = await subscriber('minq/t', 2);
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'minq/t',
      payload: payload('m'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
    });
    expect((await sub0.next('publish')).qos).toBe(0);
    expect((await sub2.next('publish')).qos).toBe(1);
    for (const c of [sub0, sub2, p]) c.end();
  });

  it('3.1.1 [MQTT-3.3.2-2] [MQTT-4.7.1-1] closes a connection that publishes to a topic with wildcards', async () => {
    const p = await RawClient.connect(b.port);
    // PUBLISH QoS 0 to "a/+": the codec refuses to build it, so the bytes are written by hand.
    p.sendRaw([0x30, 0x06, 0x00, 0x03, 0x61, 0x2f, 0x2b, 0x78]);
    await p.expectClosed();
  });

  it('3.1.1 [MQTT-3.3.1-4] closes a connection that publishes with QoS 3', async () => {
    const p = await RawClient.connect(b.port);
    p.sendRaw([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]);
    await p.expectClosed();
  });

  it('3.1.1 [MQTT-3.3.1-8] [MQTT-3.3.1-9] sets retain on retained messages sent on subscribe, clears it on live ones', async () => {
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'ret/a',
      payload: payload('kept'),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 1,
    });
    await p.next('puback');
    const sub = await subscriber('ret/#', 1);
    const retained = await sub.next('publish');
    expect(retained.retain).toBe(true);
    expect(retained.payload.toString()).toBe('kept');
    sub.send({ type: 'puback', packetId: retained.packetId! });
    p.send({ type: 'publish', topic: 'ret/a', payload: payload('live'), qos: 0, retain: true, dup: false });
    const live = await sub.next('publish');
    expect(live.retain).toBe(false);
    expect(live.payload.toString()).toBe('live');
    p.end();
    sub.end();
  });

  it('3.1.1 [MQTT-3.3.1-10] [MQTT-3.3.1-11] a retained message with an empty payload clears the topic', async () => {
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'ret/clear',
      payload: payload('x'),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 1,
    });
    await p.next('puback');
    p.send({
      type: 'publish',
      topic: 'ret/clear',
      payload: Buffer.alloc(0),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 2,
    });
    await p.next('puback');
    expect(b.broker.retained.get('ret/clear')).toBeUndefined();
    const sub = await subscriber('ret/clear', 0);
    expect(await sub.nothing('publish')).toBe(true);
    p.end();
    sub.end();
  });

  it('3.1.1 [MQTT-3.3.1-5] [MQTT-3.3.1-6] replaces the retained message of a topic', async () => {
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'ret/replace',
      payload: payload('1'),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 1,
    });
    await p.next('puback');
    p.send({
      type: 'publish',
      topic: 'ret/replace',
      payload: payload('2'),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 2,
    });
    await p.next('puback');
    const sub = await subscriber('ret/replace', 0);
    expect((await sub.next('publish')).payload.toString()).toBe('2');
    expect(await sub.nothing('publish')).toBe(true);
    p.end();
    sub.end();
  });

  it('5.0 [MQTT-3.4.2-1] drops messages over message_size_limit; QoS 1 publishers get 0x97 Quota exceeded, a PUBACK reason code', async () => {
    const sub = await subscriber('big/#', 0);
    const p = await RawClient.connect(b.port, { protocolVersion: 5 });
    p.send({
      type: 'publish',
      topic: 'big/x',
      payload: Buffer.alloc(2000),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 3,
    });
    expect((await p.next('puback')).reasonCode).toBe(0x97);
    expect(await sub.nothing('publish')).toBe(true);
    p.end();
    sub.end();
  });

  it('5.0 [MQTT-3.3.2-9] closes a 5.0 connection that uses a topic alias over the maximum, with 0x94', async () => {
    const p = await RawClient.connect(b.port, { protocolVersion: 5 });
    p.send({
      type: 'publish',
      topic: 'alias/x',
      payload: payload('a'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 11 },
    });
    expect((await p.next('disconnect')).reasonCode).toBe(0x94);
    await p.expectClosed();
  });

  it('5.0 [MQTT-3.3.2-12] resolves a topic alias set earlier on the connection', async () => {
    const sub = await subscriber('alias/ok', 0);
    const p = await RawClient.connect(b.port, { protocolVersion: 5 });
    p.send({
      type: 'publish',
      topic: 'alias/ok',
      payload: payload('1'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 3 },
    });
    p.send({
      type: 'publish',
      topic: '',
      payload: payload('2'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 3 },
    });
    expect((await sub.next('publish')).payload.toString()).toBe('1');
    const second = await sub.next('publish');
    expect(second.topic).toBe('alias/ok');
    expect(second.payload.toString()).toBe('2');
    p.end();
    sub.end();
  });

  it('answers a 5.0 QoS 1 PUBLISH nobody subscribed to with 0x10 No matching subscribers', async () => {
    const p = await RawClient.connect(b.port, { protocolVersion: 5 });
    p.send({
      type: 'publish',
      topic: 'nobody/here',
      payload: payload('a'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 4,
    });
    expect((await p.next('puback')).reasonCode).toBe(0x10);
    p.end();
  });

  it('never lets a client publish into $SYS', async () => {
    const sub = await subscriber('$SYS/#', 0);
    const p = await RawClient.connect(b.port, { protocolVersion: 5 });
    p.send({
      type: 'publish',
      topic: '$SYS/broker/fake',
      payload: payload('x'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 4,
    });
    expect((await p.next('puback')).reasonCode).toBe(0x87);
    expect(await sub.nothing('publish')).toBe(true);
    p.end();
    sub.end();
  });

  it('5.0 [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20] forwards 5.0 properties: user properties, content type, response topic, correlation data', async () => {
    const sub = await subscriber('props/t', 1, { protocolVersion: 5 });
    const p = await RawClient.connect(b.port, { protocolVersion: 5 });
    const properties = {
      userProperties: [
        ['a', '1'],
        ['a', '2'],
      ] as Array<[string, string]>,
      contentType: 'text/plain',
      responseTopic: 'props/reply',
      correlationData: Buffer.from([1, 2, 3]),
      payloadFormatIndicator: 1,
    };
    p.send({
      type: 'publish',
      topic: 'props/t',
      payload: payload('p'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
      properties,
    });
    const got = await sub.next('publish');
    expect(got.properties?.userProperties).toEqual(properties.userProperties);
    expect(got.properties?.contentType).toBe('text/plain');
    expect(got.properties?.responseTopic).toBe('props/reply');
    expect(got.properties?.correlationData).toEqual(properties.correlationData);
    expect(got.properties?.payloadFormatIndicator).toBe(1);
    p.end();
    sub.end();
  });
});

describe('wills', () => {
  it('3.1.1 [MQTT-3.1.2-8] publishes the will when the connection drops without DISCONNECT', async () => {
    const sub = await subscriber('will/drop', 1);
    const c = await RawClient.connect(b.port, {
      will: { topic: 'will/drop', payload: payload('gone'), qos: 1, retain: false },
    });
    c.socket.destroy();
    const will = await sub.next('publish');
    expect(will.payload.toString()).toBe('gone');
    sub.end();
  });

  it('3.1.1 [MQTT-3.1.2-10] [MQTT-3.14.4-3] does not publish the will after DISCONNECT', async () => {
    const sub = await subscriber('will/clean', 0);
    const c = await RawClient.connect(b.port, {
      will: { topic: 'will/clean', payload: payload('x'), qos: 0, retain: false },
    });
    c.send({ type: 'disconnect' });
    await c.expectClosed();
    expect(await sub.nothing('publish', 400)).toBe(true);
    sub.end();
  });

  it('publishes the will of a 5.0 client that disconnects with reason 0x04', async () => {
    const sub = await subscriber('will/04', 0);
    const c = await RawClient.connect(b.port, {
      protocolVersion: 5,
      will: { topic: 'will/04', payload: payload('asked'), qos: 0, retain: false },
    });
    c.send({ type: 'disconnect', reasonCode: 0x04 });
    expect((await sub.next('publish')).payload.toString()).toBe('asked');
    sub.end();
  });

  it('5.0 [MQTT-3.1.3-9] delays the will by the Will Delay Interval and drops it if the client returns', async () => {
    const sub = await subscriber('will/delay', 0);
    const opts = {
      protocolVersion: 5 as const,
      clientId: 'will-delay',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: {
        topic: 'will/delay',
        payload: payload('late'),
        qos: 0 as const,
        retain: false,
        properties: { willDelayInterval: 2 },
      },
    };
    const c = await RawClient.connect(b.port, opts);
    c.socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const back = await RawClient.connect(b.port, { ...opts, will: undefined });
    expect(await sub.nothing('publish', 2_500)).toBe(true);
    back.socket.destroy();
    sub.end();
  });

  it('5.0 [MQTT-3.1.2-8] publishes a delayed will once the delay has passed', async () => {
    const sub = await subscriber('will/delay2', 0);
    const c = await RawClient.connect(b.port, {
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 60 },
      will: {
        topic: 'will/delay2',
        payload: payload('late'),
        qos: 0,
        retain: false,
        properties: { willDelayInterval: 1 },
      },
    });
    const closedAt = Date.now();
    c.socket.destroy();
    const will = await sub.next('publish', 4_000);
    expect(will.payload.toString()).toBe('late');
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(900);
    sub.end();
  });

  it('publishes the will when the keep alive runs out', async () => {
    const sub = await subscriber('will/ka', 0);
    await RawClient.connect(b.port, {
      keepalive: 1,
      will: { topic: 'will/ka', payload: payload('timeout'), qos: 0, retain: false },
    });
    expect((await sub.next('publish', 4_000)).payload.toString()).toBe('timeout');
    sub.end();
  });
});

describe('max_packet_size', () => {
  let small: InProcessBroker;
  beforeAll(async () => {
    small = await startBroker({ maxPacketSize: 200 });
  });
  afterAll(() => small.stop());

  it('5.0 [MQTT-3.2.2-15] advertises Maximum Packet Size and closes a client that exceeds it with 0x95', async () => {
    const bystander = await RawClient.connect(small.port);
    const c = await RawClient.open(small.port, 5);
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: 'too-big',
    });
    expect((await c.next('connack')).properties?.maximumPacketSize).toBe(200);
    c.send({
      type: 'publish',
      topic: 'big/one',
      payload: Buffer.alloc(500),
      qos: 0,
      retain: false,
      dup: false,
    });
    const disconnect = await c.next('disconnect');
    expect(disconnect.reasonCode).toBe(0x95);
    expect(disconnect.properties?.reasonString).toMatch(/maximum packet size/);
    await c.expectClosed();
    bystander.send({ type: 'pingreq' });
    await bystander.next('pingresp');
    bystander.end();
  });

  it('3.1.1: a packet over the maximum closes only that connection', async () => {
    const c = await RawClient.connect(small.port);
    c.send({
      type: 'publish',
      topic: 'big/one',
      payload: Buffer.alloc(500),
      qos: 0,
      retain: false,
      dup: false,
    });
    await c.expectClosed();
  });
});
