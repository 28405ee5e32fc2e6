// Normative statements of MQTT 5.0 (OASIS, 7 March 2019) that bind a server and that no other
// broker test covers. Every client here speaks protocol level 5 unless a test says otherwise.
// The statement numbers are those of 5.0; docs/normative-coverage.md maps every statement to its test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectPacket, PublishPacket, QoS } from '../../src/protocol/types.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { connectInTwoFrames, openMqttWebSocket } from '../helpers/websocket.js';

let b: InProcessBroker;
beforeAll(async () => {
  b = await startBroker();
});
afterAll(() => b.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function connectPacket(over: Partial<ConnectPacket> = {}): ConnectPacket {
  return {
    type: 'connect',
    protocolName: 'MQTT',
    protocolVersion: 5,
    bridge: false,
    clean: true,
    keepalive: 60,
    clientId: `n5-${Math.random().toString(16).slice(2, 10)}`,
    ...over,
  };
}

const connect5 = (over: Partial<ConnectPacket> = {}) =>
  RawClient.connect(b.port, { protocolVersion: 5, ...over });

function publish(c: RawClient, topic: string, text: string, over: Partial<PublishPacket> = {}): void {
  c.send({
    type: 'publish',
    topic,
    payload: Buffer.from(text),
    qos: 0,
    retain: false,
    dup: false,
    ...over,
  });
}

async function subscriber(filter: string, qos: QoS = 0, over: Partial<ConnectPacket> = {}) {
  const c = await connect5(over);
  c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: filter, qos }] });
  await c.next('suback');
  return c;
}

/** Payloads of the PUBLISH packets that arrive within `ms`. */
async function drain(c: RawClient, ms = 300): Promise<string[]> {
  await sleep(ms);
  const got: string[] = [];
  for (let i = c.received.length - 1; i >= 0; i--) {
    const p = c.received[i]!;
    if (p.type === 'publish') {
      got.unshift(p.payload.toString());
      c.received.splice(i, 1);
    }
  }
  return got;
}

/** A session that outlives its connection: subscribed to `filter`, then disconnected. */
async function offlineSession(clientId: string, filter: string, qos: QoS = 1): Promise<void> {
  const c = await subscriber(filter, qos, {
    clientId,
    clean: true,
    properties: { sessionExpiryInterval: 60 },
  });
  c.send({ type: 'disconnect' });
  await c.expectClosed();
}

describe('5.0 CONNECT / CONNACK', () => {
  it('5.0 [MQTT-3.1.0-2] a second CONNECT is a Protocol Error that closes the connection', async () => {
    const c = await connect5();
    c.send(connectPacket());
    await c.expectClosed();
    const disconnect = c.received.find((p) => p.type === 'disconnect');
    if (disconnect?.type === 'disconnect') expect(disconnect.reasonCode).toBe(0x82);
  });

  it('5.0 [MQTT-3.1.4-5] [MQTT-3.2.0-1] [MQTT-3.2.0-2] [MQTT-4.12.0-6] accepts with CONNACK 0x00 first, with no Authentication Method', async () => {
    const c = await RawClient.open(b.port, 5);
    c.send(connectPacket());
    c.send({ type: 'pingreq' });
    const first = await c.next();
    expect(first.type).toBe('connack');
    if (first.type === 'connack') {
      expect(first.reasonCode).toBe(0);
      expect(first.properties?.authenticationMethod).toBeUndefined();
    }
    await c.next('pingresp');
    expect(c.received.some((p) => p.type === 'auth' || p.type === 'connack')).toBe(false);
    c.end();
  });

  it('5.0 [MQTT-3.1.3-5] accepts a 23-byte client id of letters and digits', async () => {
    const c = await RawClient.open(b.port, 5);
    c.send(connectPacket({ clientId: 'abcXYZ0123456789defGHIJ' }));
    expect((await c.next('connack')).reasonCode).toBe(0);
    c.end();
  });

  it('5.0 [MQTT-4.12.0-1] [MQTT-3.2.2-6] [MQTT-3.2.2-7] [MQTT-3.2.2-8] [MQTT-4.13.2-1] refuses an unknown Authentication Method with 0x8C, session present 0, and closes', async () => {
    await offlineSession('n5-auth', 'n5/auth/x');
    const c = await RawClient.open(b.port, 5);
    c.send(
      connectPacket({ clientId: 'n5-auth', clean: false, properties: { authenticationMethod: 'NOPE' } }),
    );
    const connack = await c.next('connack');
    expect([0x8c, 0x87]).toContain(connack.reasonCode);
    expect(connack.sessionPresent).toBe(false);
    await c.expectClosed();
  });

  it('5.0 [MQTT-3.1.4-6] does not process data sent after a refused CONNECT', async () => {
    const c = await RawClient.open(b.port, 5);
    c.socket.cork();
    c.send(connectPacket({ properties: { authenticationMethod: 'NOPE' } }));
    publish(c, 'n5/refused/after', 'must not be stored', { retain: true });
    c.socket.uncork();
    expect((await c.next('connack')).reasonCode).toBeGreaterThanOrEqual(0x80);
    await c.expectClosed();
    const s = await subscriber('n5/refused/after');
    expect(await drain(s)).toEqual([]);
    s.end();
  });

  it('5.0 [MQTT-3.1.2-4] [MQTT-3.1.4-4] [MQTT-3.2.2-2] Clean Start 1 discards the existing session', async () => {
    await offlineSession('n5-clean', 'n5/clean/t');
    const c = await RawClient.open(b.port, 5);
    c.send(connectPacket({ clientId: 'n5-clean', clean: true }));
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.sessionPresent).toBe(false);
    const p = await connect5();
    publish(p, 'n5/clean/t', 'x');
    expect(await drain(c)).toEqual([]);
    p.end();
    c.end();
  });

  it('5.0 [MQTT-3.1.2-5] [MQTT-3.1.3-2] [MQTT-3.2.2-3] Clean Start 0 resumes the existing session with session present 1', async () => {
    await offlineSession('n5-resume', 'n5/resume/t', 0);
    const c = await RawClient.open(b.port, 5);
    c.send(connectPacket({ clientId: 'n5-resume', clean: false }));
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.sessionPresent).toBe(true);
    const p = await connect5();
    publish(p, 'n5/resume/t', 'resumed');
    expect((await c.next('publish')).payload.toString()).toBe('resumed');
    p.end();
    c.end();
  });

  it('5.0 [MQTT-3.1.2-6] [MQTT-3.2.2-3] Clean Start 0 without a session creates one with session present 0', async () => {
    const c = await RawClient.open(b.port, 5);
    c.send(connectPacket({ clientId: 'n5-new-persistent', clean: false }));
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.sessionPresent).toBe(false);
    c.end();
  });

  it('5.0 [MQTT-3.1.2-22] [MQTT-3.2.2-22] without Server Keep Alive, uses the client keep alive (closes after 1.5 times)', async () => {
    const c = await RawClient.open(b.port, 5);
    c.send(connectPacket({ keepalive: 1 }));
    const connack = await c.next('connack');
    expect(connack.properties?.serverKeepAlive).toBeUndefined();
    const started = Date.now();
    await c.expectClosed(5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
  });

  it('5.0 [MQTT-3.1.4-3] [MQTT-3.14.2-1] [MQTT-3.14.2-2] [MQTT-3.14.4-1] [MQTT-3.14.4-2] [MQTT-4.13.2-1] the Session taken over DISCONNECT carries no Session Expiry Interval', async () => {
    const first = await connect5({ clientId: 'n5-takeover', properties: { sessionExpiryInterval: 30 } });
    const second = await connect5({ clientId: 'n5-takeover' });
    const disconnect = await first.next('disconnect');
    expect(disconnect.reasonCode).toBe(0x8e);
    expect(disconnect.properties?.sessionExpiryInterval).toBeUndefined();
    await first.expectClosed();
    expect(first.received).toEqual([]);
    second.end();
  });

  it('5.0 [MQTT-3.1.2-29] sends no Reason String or User Property on SUBACK / PUBACK when Request Problem Information is 0', async () => {
    const c = await connect5({ properties: { requestProblemInformation: 0 } });
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: 'n5/rpi/#/bad', qos: 0 }],
    });
    const suback = await c.next('suback');
    expect(suback.properties?.reasonString).toBeUndefined();
    expect(suback.properties?.userProperties).toBeUndefined();
    publish(c, 'n5/rpi/nobody', 'x', { qos: 1, packetId: 2 });
    const puback = await c.next('puback');
    expect(puback.properties?.reasonString).toBeUndefined();
    expect(puback.properties?.userProperties).toBeUndefined();
    c.end();
  });
  it('5.0 [MQTT-3.14.0-1] [MQTT-3.1.0-1] [MQTT-3.1.2-3] [MQTT-3.1.4-1] closes a bad opening without sending DISCONNECT', async () => {
    const notConnect = await RawClient.open(b.port, 5);
    notConnect.send({ type: 'pingreq' });
    await notConnect.expectClosed();
    expect(notConnect.received.map((p) => p.type)).toEqual([]);
    const reserved = await RawClient.open(b.port, 5);
    // CONNECT level 5 with the reserved connect flag (bit 0) set.
    reserved.sendRaw([
      0x10, 0x0f, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x03, 0x00, 0x3c, 0x00, 0x00, 0x02, 0x61, 0x62,
    ]);
    await reserved.expectClosed();
    expect(reserved.received.filter((p) => p.type !== 'connack').map((p) => p.type)).toEqual([]);
    const connack = reserved.received.find((p) => p.type === 'connack');
    if (connack?.type === 'connack') expect(connack.reasonCode).toBeGreaterThanOrEqual(0x80);
  });

  it('5.0 [MQTT-4.1.0-1] keeps the session state while the connection is open, past its expiry interval', async () => {
    const c = await subscriber('n5/alive/t', 0, {
      clientId: 'n5-alive',
      properties: { sessionExpiryInterval: 1 },
    });
    await sleep(2_200);
    expect(b.broker.sessions.has('n5-alive')).toBe(true);
    const p = await connect5();
    publish(p, 'n5/alive/t', 'still');
    expect((await c.next('publish')).payload.toString()).toBe('still');
    p.end();
    c.end();
  });
});

describe('5.0 Maximum Packet Size on CONNACK and DISCONNECT', () => {
  /** Every byte the broker sends on `c` from now on. */
  function rawBytes(c: RawClient): Buffer[] {
    const chunks: Buffer[] = [];
    c.socket.on('data', (d: Buffer) => chunks.push(d));
    return chunks;
  }

  it('5.0 [MQTT-3.2.2-19] [MQTT-3.1.2-24] a refusing CONNACK leaves out the Reason String that would exceed the client limit', async () => {
    const c = await RawClient.open(b.port, 5);
    const chunks = rawBytes(c);
    c.send(connectPacket({ properties: { authenticationMethod: 'NOPE', maximumPacketSize: 16 } }));
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBeGreaterThanOrEqual(0x80);
    expect(connack.properties?.reasonString).toBeUndefined();
    await c.expectClosed();
    expect(Buffer.concat(chunks).length).toBeLessThanOrEqual(16);
  });

  it('5.0 [MQTT-3.14.2-3] [MQTT-3.1.2-24] a server DISCONNECT leaves out the Reason String that would exceed the client limit', async () => {
    const c = await connect5({ properties: { maximumPacketSize: 16 } });
    const chunks = rawBytes(c);
    c.sendRaw([0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);
    await c.expectClosed();
    const disconnect = c.received.find((p) => p.type === 'disconnect');
    if (disconnect?.type === 'disconnect') expect(disconnect.properties?.reasonString).toBeUndefined();
    expect(Buffer.concat(chunks).length).toBeLessThanOrEqual(16);
  });

  it('5.0 [MQTT-4.7.3-1] an empty topic filter is refused and the connection closed', async () => {
    const c = await connect5();
    c.sendRaw([0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);
    await c.expectClosed();
    const disconnect = c.received.find((p) => p.type === 'disconnect');
    if (disconnect?.type === 'disconnect') expect(disconnect.reasonCode).toBeGreaterThanOrEqual(0x80);
  });
});

describe('5.0 wills', () => {
  it('5.0 [MQTT-3.1.2-8] publishes a will whose delay outlasts the session when the session ends', async () => {
    const s = await subscriber('n5/will/session-end');
    const c = await connect5({
      properties: { sessionExpiryInterval: 1 },
      will: {
        topic: 'n5/will/session-end',
        payload: Buffer.from('ended'),
        qos: 0,
        retain: false,
        properties: { willDelayInterval: 60 },
      },
    });
    const closedAt = Date.now();
    c.socket.destroy();
    expect((await s.next('publish', 4_000)).payload.toString()).toBe('ended');
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(900);
    s.end();
  });

  it('5.0 [MQTT-3.1.2-10] [MQTT-3.14.4-3] DISCONNECT 0x00 deletes the will', async () => {
    const s = await subscriber('n5/will/normal');
    const c = await connect5({
      will: { topic: 'n5/will/normal', payload: Buffer.from('w'), qos: 0, retain: false },
    });
    c.send({ type: 'disconnect', reasonCode: 0 });
    await c.expectClosed();
    expect(await drain(s, 400)).toEqual([]);
    s.end();
  });

  it('5.0 [MQTT-3.1.2-7] [MQTT-3.1.2-14] a will with Will Retain 0 is published, not retained', async () => {
    const live = await subscriber('n5/will/plain');
    const c = await connect5({
      will: { topic: 'n5/will/plain', payload: Buffer.from('w0'), qos: 0, retain: false },
    });
    c.socket.destroy();
    expect((await live.next('publish')).payload.toString()).toBe('w0');
    const later = await subscriber('n5/will/plain');
    expect(await drain(later)).toEqual([]);
    live.end();
    later.end();
  });

  it('5.0 [MQTT-3.1.2-15] a will with Will Retain 1 is published as a retained message', async () => {
    const c = await connect5({
      will: { topic: 'n5/will/retained', payload: Buffer.from('w1'), qos: 1, retain: true },
    });
    c.socket.destroy();
    await sleep(200);
    const later = await subscriber('n5/will/retained', 1);
    const got = await later.next('publish');
    expect(got.payload.toString()).toBe('w1');
    expect(got.retain).toBe(true);
    later.end();
  });

  it('5.0 [MQTT-3.1.3-10] keeps the order of the will User Properties', async () => {
    const s = await subscriber('n5/will/props');
    const userProperties: Array<[string, string]> = [
      ['k', '2'],
      ['a', '1'],
      ['k', '1'],
    ];
    const c = await connect5({
      will: {
        topic: 'n5/will/props',
        payload: Buffer.from('w'),
        qos: 0,
        retain: false,
        properties: { userProperties, contentType: 'text/plain' },
      },
    });
    c.socket.destroy();
    const got = await s.next('publish');
    expect(got.properties?.userProperties).toEqual(userProperties);
    s.end();
  });
});

describe('5.0 PUBLISH', () => {
  it('5.0 [MQTT-3.3.1-5] [MQTT-3.3.1-8] RETAIN 1 replaces the retained message, RETAIN 0 leaves it', async () => {
    const p = await connect5();
    publish(p, 'n5/ret/t', 'old', { retain: true });
    publish(p, 'n5/ret/t', 'new', { retain: true });
    publish(p, 'n5/ret/t', 'live');
    await sleep(100);
    const s = await subscriber('n5/ret/t');
    expect(await drain(s)).toEqual(['new']);
    p.end();
    s.end();
  });

  it('5.0 [MQTT-3.3.1-6] [MQTT-3.3.1-7] an empty retained PUBLISH is forwarded and removes the retained message', async () => {
    const p = await connect5();
    publish(p, 'n5/ret/clear', 'r', { retain: true });
    await sleep(100);
    const live = await subscriber('n5/ret/clear');
    expect(await drain(live)).toEqual(['r']);
    publish(p, 'n5/ret/clear', '', { retain: true });
    expect((await live.next('publish')).payload.length).toBe(0);
    const later = await subscriber('n5/ret/clear');
    expect(await drain(later)).toEqual([]);
    for (const c of [p, live, later]) c.end();
  });

  it('5.0 [MQTT-3.3.1-3] [MQTT-3.3.1-2] [MQTT-4.3.1-1] the DUP flag of an incoming PUBLISH is not propagated', async () => {
    const s1 = await subscriber('n5/dup', 1);
    const s0 = await subscriber('n5/dup', 0);
    const p = await connect5();
    publish(p, 'n5/dup', 'd', { qos: 1, packetId: 3, dup: true });
    await p.next('puback');
    expect((await s1.next('publish')).dup).toBe(false);
    expect((await s0.next('publish')).dup).toBe(false);
    for (const c of [s1, s0, p]) c.end();
  });

  it('5.0 [MQTT-3.3.2-5] deletes a queued message whose Message Expiry Interval has passed', async () => {
    await offlineSession('n5-expire', 'n5/expire/t');
    const p = await connect5();
    publish(p, 'n5/expire/t', 'stale', { qos: 1, packetId: 1, properties: { messageExpiryInterval: 1 } });
    publish(p, 'n5/expire/t', 'fresh', { qos: 1, packetId: 2, properties: { messageExpiryInterval: 60 } });
    await p.next('puback');
    await p.next('puback');
    await sleep(2_100);
    const back = await connect5({
      clientId: 'n5-expire',
      clean: false,
      properties: { sessionExpiryInterval: 0 },
    });
    const got = await drain(back);
    expect(got).toEqual(['fresh']);
    p.end();
    back.end();
  });

  it('5.0 [MQTT-3.3.2-6] [MQTT-4.5.0-1] forwards the Message Expiry Interval minus the time the message waited', async () => {
    await offlineSession('n5-expiry-left', 'n5/expiry/left');
    const p = await connect5();
    publish(p, 'n5/expiry/left', 'm', { qos: 1, packetId: 1, properties: { messageExpiryInterval: 30 } });
    await p.next('puback');
    await sleep(1_200);
    const back = await connect5({
      clientId: 'n5-expiry-left',
      clean: false,
      properties: { sessionExpiryInterval: 0 },
    });
    const got = await back.next('publish');
    expect(got.properties?.messageExpiryInterval).toBeGreaterThan(0);
    expect(got.properties?.messageExpiryInterval).toBeLessThanOrEqual(29);
    p.end();
    back.end();
  });

  it('5.0 [MQTT-3.3.2-7] does not carry a Topic Alias mapping over to another connection', async () => {
    const a = await connect5({ clientId: 'n5-alias' });
    publish(a, 'n5/alias/t', 'set', { properties: { topicAlias: 1 } });
    a.send({ type: 'disconnect' });
    await a.expectClosed();
    const again = await connect5({ clientId: 'n5-alias' });
    publish(again, '', 'use', { properties: { topicAlias: 1 } });
    expect((await again.next('disconnect')).reasonCode).toBe(0x82);
    await again.expectClosed();
  });

  it('5.0 [MQTT-3.1.2-26] [MQTT-3.1.2-27] [MQTT-3.3.2-8] [MQTT-3.3.2-11] sends no Topic Alias over the client maximum', async () => {
    const none = await subscriber('n5/alias/out/#');
    const one = await subscriber('n5/alias/out/#', 0, { properties: { topicAliasMaximum: 1 } });
    const p = await connect5();
    for (let i = 0; i < 6; i++) publish(p, `n5/alias/out/${i % 3}`, String(i));
    await sleep(300);
    const toNone = none.received.filter((x): x is PublishPacket => x.type === 'publish');
    const toOne = one.received.filter((x): x is PublishPacket => x.type === 'publish');
    expect(toNone.length).toBe(6);
    expect(toOne.length).toBe(6);
    for (const m of toNone) expect(m.properties?.topicAlias).toBeUndefined();
    for (const m of toOne)
      if (m.properties?.topicAlias !== undefined) expect(m.properties.topicAlias).toBe(1);
    for (const c of [none, one, p]) c.end();
  });

  it('5.0 [MQTT-3.3.4-1] [MQTT-4.3.2-4] [MQTT-4.3.3-8] [MQTT-4.3.3-11] [MQTT-2.2.1-5] [MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.7.2.1-1] acknowledges with the packet id of the PUBLISH / PUBREL', async () => {
    const p = await connect5();
    publish(p, 'n5/ack/t', 'q1', { qos: 1, packetId: 301 });
    const puback = await p.next('puback');
    expect(puback.packetId).toBe(301);
    expect(puback.reasonCode ?? 0).toBeLessThan(0x80);
    publish(p, 'n5/ack/t', 'q2', { qos: 2, packetId: 302 });
    const pubrec = await p.next('pubrec');
    expect(pubrec.packetId).toBe(302);
    expect(pubrec.reasonCode ?? 0).toBeLessThan(0x80);
    p.send({ type: 'pubrel', packetId: 302 });
    const pubcomp = await p.next('pubcomp');
    expect(pubcomp.packetId).toBe(302);
    expect(pubcomp.reasonCode ?? 0).toBe(0);
    p.end();
  });

  it('5.0 [MQTT-4.3.2-5] [MQTT-4.3.3-10] [MQTT-4.3.3-12] QoS 1 / QoS 2 packet ids: duplicates before PUBREL are delivered once, reuse afterwards is new', async () => {
    const s = await subscriber('n5/qos/reuse');
    const p = await connect5();
    publish(p, 'n5/qos/reuse', 'a', { qos: 1, packetId: 5 });
    await p.next('puback');
    publish(p, 'n5/qos/reuse', 'b', { qos: 1, packetId: 5, dup: true });
    await p.next('puback');
    publish(p, 'n5/qos/reuse', 'c', { qos: 2, packetId: 6 });
    await p.next('pubrec');
    publish(p, 'n5/qos/reuse', 'c', { qos: 2, packetId: 6, dup: true });
    expect((await p.next('pubrec')).packetId).toBe(6);
    p.send({ type: 'pubrel', packetId: 6 });
    await p.next('pubcomp');
    publish(p, 'n5/qos/reuse', 'd', { qos: 2, packetId: 6 });
    await p.next('pubrec');
    p.send({ type: 'pubrel', packetId: 6 });
    await p.next('pubcomp');
    expect(await drain(s)).toEqual(['a', 'b', 'c', 'd']);
    p.end();
    s.end();
  });

  it('5.0 [MQTT-2.2.1-4] [MQTT-4.3.2-1] [MQTT-4.3.2-2] [MQTT-4.3.3-1] [MQTT-4.3.3-2] unacknowledged deliveries carry distinct non-zero packet ids', async () => {
    const s = await subscriber('n5/ids', 2);
    const p = await connect5();
    for (let i = 0; i < 6; i++)
      publish(p, 'n5/ids', String(i), { qos: i % 2 === 0 ? 1 : 2, packetId: i + 1 });
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const got = await s.next('publish');
      expect(got.dup).toBe(false);
      ids.push(got.packetId!);
    }
    expect(ids.every((id) => id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(6);
    p.end();
    s.end();
  });

  it('5.0 [MQTT-4.3.3-4] [MQTT-3.6.2-1] answers PUBREC from the subscriber with PUBREL of the same packet id', async () => {
    const s = await subscriber('n5/q2/out', 2);
    const p = await connect5();
    publish(p, 'n5/q2/out', 'x', { qos: 2, packetId: 1 });
    const got = await s.next('publish');
    s.send({ type: 'pubrec', packetId: got.packetId! });
    const pubrel = await s.next('pubrel');
    expect(pubrel.packetId).toBe(got.packetId);
    expect(pubrel.reasonCode ?? 0).toBe(0);
    s.send({ type: 'pubcomp', packetId: got.packetId! });
    p.end();
    s.end();
  });

  it('5.0 [MQTT-3.3.4-10] [MQTT-4.9.0-1] [MQTT-4.9.0-2] [MQTT-4.9.0-3] [MQTT-3.12.4-1] with the send quota at zero, still answers other packets', async () => {
    const s = await subscriber('n5/quota', 1, { properties: { receiveMaximum: 1 } });
    const p = await connect5();
    publish(p, 'n5/quota', '1', { qos: 1, packetId: 1 });
    publish(p, 'n5/quota', '2', { qos: 1, packetId: 2 });
    await s.next('publish');
    expect(await s.nothing('publish', 200)).toBe(true);
    s.send({ type: 'pingreq' });
    await s.next('pingresp');
    s.send({ type: 'subscribe', packetId: 7, subscriptions: [{ topicFilter: 'n5/quota/other', qos: 0 }] });
    expect((await s.next('suback')).packetId).toBe(7);
    s.send({ type: 'unsubscribe', packetId: 8, topicFilters: ['n5/quota/other'] });
    expect((await s.next('unsuback')).packetId).toBe(8);
    p.end();
    s.end();
  });

  it('5.0 [MQTT-4.6.0-5] [MQTT-4.6.0-6] delivers messages of one topic and QoS in the order published', async () => {
    const s = await subscriber('n5/order', 1);
    const p = await connect5();
    const sent = Array.from({ length: 40 }, (_, i) => String(i));
    for (const [i, text] of sent.entries()) publish(p, 'n5/order', text, { qos: 1, packetId: i + 1 });
    const got: string[] = [];
    for (let i = 0; i < sent.length; i++) {
      const m = await s.next('publish');
      got.push(m.payload.toString());
      s.send({ type: 'puback', packetId: m.packetId! });
    }
    expect(got).toEqual(sent);
    p.end();
    s.end();
  });

  it('5.0 [MQTT-3.3.4-2] [MQTT-3.8.4-8] delivers at the minimum of publish QoS and granted QoS, the maximum over overlapping subscriptions', async () => {
    const c = await connect5();
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topicFilter: 'n5/minq/+', qos: 0 },
        { topicFilter: 'n5/minq/#', qos: 1 },
      ],
    });
    await c.next('suback');
    const p = await connect5();
    publish(p, 'n5/minq/a', 'two', { qos: 2, packetId: 1 });
    const got = await c.next('publish');
    expect(got.qos).toBe(1);
    c.send({ type: 'puback', packetId: got.packetId! });
    publish(p, 'n5/minq/a', 'zero');
    expect((await c.next('publish')).qos).toBe(0);
    expect(await drain(c)).toEqual([]);
    p.end();
    c.end();
  });
});

describe('5.0 message delivery retry', () => {
  it('5.0 [MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-4.3.2-3] resends an unacknowledged PUBLISH with its packet id and DUP on resumption', async () => {
    await offlineSession('n5-retry', 'n5/retry/t');
    const first = await connect5({
      clientId: 'n5-retry',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    const p = await connect5();
    publish(p, 'n5/retry/t', 'again', { qos: 1, packetId: 1 });
    const got = await first.next('publish');
    expect(got.dup).toBe(false);
    first.socket.destroy();
    await first.closed;
    const back = await connect5({
      clientId: 'n5-retry',
      clean: false,
      properties: { sessionExpiryInterval: 0 },
    });
    const resent = await back.next('publish');
    expect(resent.packetId).toBe(got.packetId);
    expect(resent.dup).toBe(true);
    expect(resent.payload.toString()).toBe('again');
    back.send({ type: 'puback', packetId: resent.packetId! });
    p.end();
    back.end();
  });

  it('5.0 [MQTT-4.4.0-2] a PUBACK with a Reason Code of 0x80 or more acknowledges: no resend on resumption', async () => {
    await offlineSession('n5-refused-ack', 'n5/refack/t');
    const first = await connect5({
      clientId: 'n5-refused-ack',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    const p = await connect5();
    publish(p, 'n5/refack/t', 'refused', { qos: 1, packetId: 1 });
    const got = await first.next('publish');
    first.send({ type: 'puback', packetId: got.packetId!, reasonCode: 0x80 });
    await sleep(100);
    first.socket.destroy();
    await first.closed;
    const back = await connect5({
      clientId: 'n5-refused-ack',
      clean: false,
      properties: { sessionExpiryInterval: 0 },
    });
    expect(await drain(back)).toEqual([]);
    p.end();
    back.end();
  });
});

describe('5.0 SUBSCRIBE / UNSUBSCRIBE', () => {
  it('5.0 [MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-2.2.1-6] [MQTT-3.8.4-5] [MQTT-3.8.4-6] [MQTT-3.9.3-1] one SUBACK with the packet id and a code per filter, in order', async () => {
    const c = await connect5();
    c.send({
      type: 'subscribe',
      packetId: 4242,
      subscriptions: [
        { topicFilter: 'n5/multi/two', qos: 2 },
        { topicFilter: 'n5/multi/zero', qos: 0 },
        { topicFilter: 'n5/multi/one', qos: 1 },
      ],
    });
    const suback = await c.next('suback');
    expect(suback.packetId).toBe(4242);
    expect(suback.reasonCodes).toEqual([2, 0, 1]);
    expect(await c.nothing('suback', 200)).toBe(true);
    c.end();
  });

  it('5.0 [MQTT-3.8.4-3] [MQTT-3.8.4-4] a repeated subscription replaces the old one and re-sends retained messages', async () => {
    const p = await connect5();
    publish(p, 'n5/replace', 'retained', { retain: true });
    await sleep(100);
    const c = await subscriber('n5/replace', 0);
    expect(await drain(c)).toEqual(['retained']);
    c.send({ type: 'subscribe', packetId: 2, subscriptions: [{ topicFilter: 'n5/replace', qos: 1 }] });
    expect((await c.next('suback')).reasonCodes).toEqual([1]);
    const again = await c.next('publish');
    expect(again.retain).toBe(true);
    publish(p, 'n5/replace', 'live', { qos: 1, packetId: 1 });
    const live = await c.next('publish');
    expect(live.qos).toBe(1);
    c.send({ type: 'puback', packetId: live.packetId! });
    expect(await drain(c)).toEqual([]);
    p.end();
    c.end();
  });

  it('5.0 [MQTT-3.10.4-1] [MQTT-3.10.4-4] [MQTT-3.10.4-5] [MQTT-3.10.4-6] [MQTT-3.11.3-1] [MQTT-3.11.3-2] one UNSUBACK, a code per filter in order, exact filter match only', async () => {
    const c = await subscriber('n5/un/+');
    c.send({ type: 'unsubscribe', packetId: 11, topicFilters: ['n5/un/x', 'n5/un/+', 'n5/un/#'] });
    const unsuback = await c.next('unsuback');
    expect(unsuback.packetId).toBe(11);
    expect(unsuback.reasonCodes).toEqual([0x11, 0x00, 0x11]);
    expect(await c.nothing('unsuback', 200)).toBe(true);
    c.end();
  });

  it('5.0 [MQTT-4.7.2-1] [MQTT-4.7.3-4] wildcards at the first level skip $ topics; no normalisation', async () => {
    const c = await connect5();
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topicFilter: '#', qos: 0 },
        { topicFilter: '+/n5dollar', qos: 0 },
      ],
    });
    await c.next('suback');
    const exact = await subscriber('n5/norm/A');
    const p = await connect5();
    publish(p, '$n5/x', 'dollar');
    publish(p, '$x/n5dollar', 'dollar2');
    for (const topic of ['n5/norm/a', 'n5/norm/A/', 'n5/norm/A']) publish(p, topic, topic);
    await sleep(300);
    const toAll = c.received
      .filter((x): x is PublishPacket => x.type === 'publish')
      .map((x) => x.topic)
      .filter((t) => t.startsWith('$n5') || t.startsWith('$x'));
    expect(toAll).toEqual([]);
    expect(await drain(exact)).toEqual(['n5/norm/A']);
    for (const x of [c, exact, p]) x.end();
  });

  it('5.0 [MQTT-1.5.4-3] [MQTT-3.3.2-3] keeps a leading U+FEFF in topic names', async () => {
    const s = await subscriber('\ufeffn5/bom');
    const p = await connect5();
    publish(p, 'n5/bom', 'stripped');
    publish(p, '\ufeffn5/bom', 'kept');
    const got = await s.next('publish');
    expect(got.topic).toBe('\ufeffn5/bom');
    expect(await drain(s)).toEqual([]);
    p.end();
    s.end();
  });
});

describe('5.0 topic filters', () => {
  it('5.0 [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-3.8.4-7] answers misplaced wildcards with 0x8F Topic Filter invalid', async () => {
    const c = await connect5();
    c.send({
      type: 'subscribe',
      packetId: 2,
      subscriptions: [
        { topicFilter: 'n5/#/x', qos: 0 },
        { topicFilter: 'n5/a#', qos: 0 },
        { topicFilter: 'n5/a+/b', qos: 0 },
        { topicFilter: 'n5/+/b/#', qos: 1 },
      ],
    });
    expect((await c.next('suback')).reasonCodes).toEqual([0x8f, 0x8f, 0x8f, 1]);
    c.end();
  });
});

describe('5.0 with empty client ids disabled', () => {
  let strict: InProcessBroker;
  beforeAll(async () => {
    strict = await startBroker({ allowZeroLengthClientId: false });
  });
  afterAll(() => strict.stop());

  it('5.0 [MQTT-3.1.3-8] a refused empty client id gets CONNACK 0x85 and the connection is closed', async () => {
    const c = await RawClient.open(strict.port, 5);
    c.send(connectPacket({ clientId: '' }));
    expect((await c.next('connack')).reasonCode).toBe(0x85);
    await c.expectClosed();
  });
});

describe('5.0 shared subscriptions', () => {
  it('5.0 [MQTT-4.8.2-3] respects the QoS granted to the member that receives the message', async () => {
    const m = await subscriber('$share/n5q/n5/shared/q', 0);
    const p = await connect5();
    publish(p, 'n5/shared/q', 'x', { qos: 2, packetId: 1 });
    expect((await m.next('publish')).qos).toBe(0);
    p.end();
    m.end();
  });

  it('5.0 [MQTT-4.8.2-6] a member refusing with PUBACK 0x80 or above: the message goes to no other member', async () => {
    const members = [
      await subscriber('$share/n5r/n5/shared/r', 1),
      await subscriber('$share/n5r/n5/shared/r', 1),
    ];
    const p = await connect5();
    publish(p, 'n5/shared/r', 'once', { qos: 1, packetId: 1 });
    const got = await Promise.any(members.map((m) => m.next('publish', 2_000).then((x) => ({ m, x }))));
    got.m.send({ type: 'puback', packetId: got.x.packetId!, reasonCode: 0x80 });
    await sleep(400);
    const other = members.find((m) => m !== got.m)!;
    expect(other.received.filter((x) => x.type === 'publish')).toEqual([]);
    expect(got.m.received.filter((x) => x.type === 'publish')).toEqual([]);
    for (const c of [...members, p]) c.end();
  });
});

describe('5.0 malformed packets and reserved bits', () => {
  const cases: Array<[string, number[]]> = [
    ['[MQTT-3.6.1-1] PUBREL with flags 0000', [0x60, 0x03, 0x00, 0x01, 0x00]],
    ['[MQTT-3.8.1-1] SUBSCRIBE with flags 0000', [0x80, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61, 0x00]],
    ['[MQTT-3.10.1-1] UNSUBSCRIBE with flags 0000', [0xa0, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61]],
    [
      '[MQTT-3.8.3-5] SUBSCRIBE with reserved option bits',
      [0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61, 0xc0],
    ],
    ['[MQTT-3.14.1-1] DISCONNECT with flags 0001', [0xe1, 0x00]],
    ['[MQTT-3.15.1-1] AUTH with flags 0001', [0xf1, 0x00]],
    ['[MQTT-2.1.3-1] PINGREQ with flags 0001', [0xc1, 0x00]],
    ['[MQTT-1.5.4-1] [MQTT-3.3.2-1] ill-formed UTF-8 in a topic', [0x30, 0x05, 0x00, 0x02, 0x61, 0xff, 0x00]],
    ['[MQTT-1.5.4-2] [MQTT-4.7.3-2] U+0000 in a topic', [0x30, 0x05, 0x00, 0x02, 0x61, 0x00, 0x00]],
    ['[MQTT-3.3.1-4] PUBLISH with QoS 3', [0x36, 0x06, 0x00, 0x01, 0x61, 0x00, 0x01, 0x00]],
    [
      '[MQTT-3.3.2-2] [MQTT-4.7.0-1] PUBLISH to a topic name with a wildcard',
      [0x30, 0x06, 0x00, 0x03, 0x61, 0x2f, 0x2b, 0x00],
    ],
    [
      '[MQTT-3.8.3-1] SUBSCRIBE with an ill-formed UTF-8 filter',
      [0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 0xff, 0x00],
    ],
    [
      '[MQTT-3.10.2-1] UNSUBSCRIBE with an ill-formed UTF-8 filter',
      [0xa2, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 0xff],
    ],
    ['[MQTT-3.10.2-2] UNSUBSCRIBE without a topic filter', [0xa2, 0x03, 0x00, 0x01, 0x00]],
    ['[MQTT-4.12.0-7] AUTH on a connection without an Authentication Method', [0xf0, 0x00]],
  ];
  for (const [what, bytes] of cases) {
    it(`5.0 [MQTT-4.13.1-1] ${what}: the server closes the connection`, async () => {
      const c = await connect5();
      c.sendRaw(bytes);
      await c.expectClosed();
      const disconnect = c.received.find((p) => p.type === 'disconnect');
      if (disconnect?.type === 'disconnect') expect(disconnect.reasonCode).toBeGreaterThanOrEqual(0x80);
    });
  }
});

describe('5.0 field validation', () => {
  // CONNECT, protocol level 5, keep alive 60, no properties; each case breaks one field.
  const head = (flags: number) => [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, flags, 0x00, 0x3c, 0x00];
  const connects: Array<[string, number[]]> = [
    [
      '[MQTT-3.1.3-4] [MQTT-1.5.4-1] ill-formed UTF-8 in the client id',
      [...head(0x02), 0x00, 0x02, 0x61, 0xff],
    ],
    [
      '[MQTT-3.1.3-11] [MQTT-1.5.4-1] ill-formed UTF-8 in the will topic',
      [...head(0x06), 0x00, 0x01, 0x61, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00],
    ],
    [
      '[MQTT-3.1.3-12] [MQTT-1.5.4-1] ill-formed UTF-8 in the user name',
      [...head(0x82), 0x00, 0x01, 0x61, 0x00, 0x01, 0xff],
    ],
    ['[MQTT-3.1.2-9] a Will Flag without will fields', [...head(0x06), 0x00, 0x01, 0x61]],
  ];
  for (const [what, body] of connects) {
    it(`5.0 [MQTT-3.1.4-1] ${what}: closed, no CONNACK 0x00`, async () => {
      const c = await RawClient.open(b.port, 5);
      c.sendRaw([0x10, body.length, ...body]);
      await c.expectClosed();
      expect(c.received.some((p) => p.type === 'connack' && p.reasonCode === 0)).toBe(false);
    });
  }

  // PUBLISH QoS 0 to "a" whose only property breaks a rule.
  const publishes: Array<[string, number[]]> = [
    ['[MQTT-3.3.2-13] ill-formed UTF-8 in the Response Topic', [0x08, 0x00, 0x01, 0xff]],
    ['[MQTT-3.3.2-19] ill-formed UTF-8 in the Content Type', [0x03, 0x00, 0x01, 0xff]],
    ['[MQTT-1.5.7-1] ill-formed UTF-8 in a User Property name', [0x26, 0x00, 0x01, 0xff, 0x00, 0x01, 0x61]],
  ];
  for (const [what, props] of publishes) {
    it(`5.0 [MQTT-4.13.1-1] ${what}: the server closes the connection`, async () => {
      const c = await connect5();
      const body = [0x00, 0x01, 0x61, props.length, ...props];
      c.sendRaw([0x30, body.length, ...body]);
      await c.expectClosed();
    });
  }

  it('5.0 [MQTT-4.8.2-1] [MQTT-4.8.2-2] refuses malformed shared subscription filters', async () => {
    const c = await connect5();
    c.send({
      type: 'subscribe',
      packetId: 3,
      subscriptions: [
        { topicFilter: '$share//n5/x', qos: 0 },
        { topicFilter: '$share/g+/n5/x', qos: 0 },
        { topicFilter: '$share/g', qos: 0 },
        { topicFilter: '$share/g/', qos: 0 },
      ],
    });
    const answer = await Promise.race([c.next('suback'), c.closed.then(() => 'closed' as const)]);
    if (answer !== 'closed') for (const code of answer.reasonCodes) expect(code).toBeGreaterThanOrEqual(0x80);
    c.end();
  });
});

describe('5.0 QoS 2 delivery retry', () => {
  it('5.0 [MQTT-4.3.3-3] [MQTT-4.3.3-5] [MQTT-4.3.3-6] re-sends PUBLISH until PUBREC, then only PUBREL until PUBCOMP', async () => {
    await offlineSession('n5-q2retry', 'n5/q2retry/t', 2);
    const resume = () =>
      connect5({ clientId: 'n5-q2retry', clean: false, properties: { sessionExpiryInterval: 60 } });
    const first = await resume();
    const p = await connect5();
    publish(p, 'n5/q2retry/t', 'two', { qos: 2, packetId: 1 });
    const got = await first.next('publish');
    first.socket.destroy();
    await first.closed;
    const second = await resume();
    const resent = await second.next('publish');
    expect(resent.packetId).toBe(got.packetId);
    expect(resent.dup).toBe(true);
    second.send({ type: 'pubrec', packetId: resent.packetId! });
    expect((await second.next('pubrel')).packetId).toBe(got.packetId);
    second.socket.destroy();
    await second.closed;
    const third = await connect5({
      clientId: 'n5-q2retry',
      clean: false,
      properties: { sessionExpiryInterval: 0 },
    });
    expect((await third.next('pubrel')).packetId).toBe(got.packetId);
    expect(await third.nothing('publish', 300)).toBe(true);
    third.send({ type: 'pubcomp', packetId: got.packetId! });
    p.end();
    third.end();
  });

  it('5.0 [MQTT-3.10.4-3] completes a QoS 1 delivery already started when its subscription is deleted', async () => {
    await offlineSession('n5-inflight', 'n5/unsub/inflight');
    const s = await connect5({
      clientId: 'n5-inflight',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    const p = await connect5();
    publish(p, 'n5/unsub/inflight', 'started', { qos: 1, packetId: 1 });
    const first = await s.next('publish');
    s.send({ type: 'unsubscribe', packetId: 2, topicFilters: ['n5/unsub/inflight'] });
    await s.next('unsuback');
    s.socket.destroy();
    await s.closed;
    const back = await connect5({
      clientId: 'n5-inflight',
      clean: false,
      properties: { sessionExpiryInterval: 0 },
    });
    const again = await back.next('publish');
    expect(again.packetId).toBe(first.packetId);
    back.send({ type: 'puback', packetId: again.packetId! });
    p.end();
    back.end();
  });
});

describe('5.0 over WebSocket', () => {
  let ws: InProcessBroker;
  beforeAll(async () => {
    ws = await startBroker({
      listeners: [{ port: 0, host: '127.0.0.1', protocol: 'websockets', maxConnections: 0 }],
    });
  });
  afterAll(() => ws.stop());

  it('5.0 [MQTT-6.0.0-4] [MQTT-6.0.0-2] selects the "mqtt" subprotocol and reads a CONNECT split over two binary frames', async () => {
    const socket = await openMqttWebSocket(ws.port);
    expect(socket.protocol).toBe('mqtt');
    const answer = await connectInTwoFrames(
      socket,
      Buffer.from([
        0x10, 0x0e, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x3c, 0x00, 0x00, 0x01, 0x61,
      ]),
    );
    expect(answer[0]).toBe(0x20);
    expect(answer[3]).toBe(0x00); // CONNACK reason / return code
    socket.terminate();
  });

  it('3.1.1 and 5.0 [MQTT-6.0.0-1] closes the connection on a text frame, without answering it', async () => {
    const socket = await openMqttWebSocket(ws.port);
    let answered = false;
    socket.on('message', () => {
      answered = true;
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const connect = Buffer.from([
      0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x61,
    ]);
    socket.send(connect.toString('latin1'), { binary: false });
    await closed;
    expect(answered).toBe(false);
  });
});

describe('bugs found by the coverage audit, fixed', () => {
  it('5.0 [MQTT-3.2.2-13] refuses a retained will when retain is not available (0x9A)', async () => {
    const b = await startBroker({ retainAvailable: false });
    try {
      const c = await RawClient.open(b.port, 5);
      c.send({
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 5,
        bridge: false,
        clean: true,
        keepalive: 60,
        clientId: 'w',
        will: { topic: 'w', payload: Buffer.from('w'), qos: 0, retain: true },
      });
      expect((await c.next('connack')).reasonCode).toBe(0x9a);
      await c.expectClosed();
    } finally {
      await b.stop();
    }
  });

  it('5.0 [MQTT-3.3.2-14] closes a connection whose PUBLISH has a wildcard in its Response Topic', async () => {
    const b = await startBroker();
    try {
      const sub = await RawClient.connect(b.port, { protocolVersion: 5 });
      sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'a', qos: 0 }] });
      await sub.next('suback');
      const c = await RawClient.connect(b.port, { protocolVersion: 5 });
      c.send({
        type: 'publish',
        topic: 'a',
        payload: Buffer.alloc(0),
        qos: 0,
        retain: false,
        dup: false,
        properties: { responseTopic: '#' },
      });
      expect((await c.next('disconnect')).reasonCode).toBe(0x82);
      await c.expectClosed();
      expect(await sub.nothing('publish')).toBe(true);
      sub.end();
    } finally {
      await b.stop();
    }
  });

  it('5.0 [MQTT-4.3.3-7] [MQTT-4.4.0-1] resends an unacknowledged message after reconnect even once its expiry has passed', async () => {
    const b = await startBroker();
    try {
      const opts = {
        protocolVersion: 5 as const,
        clientId: 'exp-resend',
        clean: false,
        properties: { sessionExpiryInterval: 60 },
      };
      const s = await RawClient.connect(b.port, opts);
      s.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'e/t', qos: 1 }] });
      await s.next('suback');
      const p = await RawClient.connect(b.port, { protocolVersion: 5 });
      p.send({
        type: 'publish',
        topic: 'e/t',
        payload: Buffer.from('short'),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 1,
        properties: { messageExpiryInterval: 1 },
      });
      const first = await s.next('publish');
      s.socket.destroy();
      await s.closed;
      await new Promise((r) => setTimeout(r, 2_100));
      const back = await RawClient.connect(b.port, { ...opts, clean: false });
      const again = await back.next('publish');
      expect(again.dup).toBe(true);
      expect(again.packetId).toBe(first.packetId);
      back.end();
      p.end();
    } finally {
      await b.stop();
    }
  });
});
