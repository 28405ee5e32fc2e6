// Normative statements of MQTT 3.1.1 (OASIS, 29 October 2014, Appendix B) that bind a server and
// that no other broker test covers. Every client here speaks protocol level 4. The statement
// numbers are those of 3.1.1; docs/normative-coverage.md maps every statement to its test.
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
    protocolVersion: 4,
    bridge: false,
    clean: true,
    keepalive: 60,
    clientId: `n311-${Math.random().toString(16).slice(2, 10)}`,
    ...over,
  };
}

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
  const c = await RawClient.connect(b.port, over);
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

describe('3.1.1 CONNECT / CONNACK', () => {
  it('3.1.1 [MQTT-3.1.4-2] disconnects the existing client when its client id connects again', async () => {
    const first = await RawClient.connect(b.port, { clientId: 'n311-takeover' });
    const second = await RawClient.connect(b.port, { clientId: 'n311-takeover' });
    await first.expectClosed();
    second.send({ type: 'pingreq' });
    await second.next('pingresp');
    second.end();
  });

  it('3.1.1 [MQTT-3.2.0-1] the first packet the server sends is CONNACK', async () => {
    const c = await RawClient.open(b.port);
    c.send(connectPacket());
    c.send({ type: 'pingreq' });
    expect((await c.next()).type).toBe('connack');
    await c.next('pingresp');
    c.end();
  });

  it('3.1.1 [MQTT-3.2.2-3] [MQTT-3.1.4-4] session present is 0 for CleanSession 0 without stored state', async () => {
    const c = await RawClient.open(b.port);
    c.send(connectPacket({ clean: false, clientId: 'n311-fresh-persistent' }));
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.sessionPresent).toBe(false);
    c.end();
  });

  it('3.1.1 [MQTT-3.2.2-4] [MQTT-3.2.2-5] a refusing CONNACK has session present 0 and the server closes', async () => {
    const c = await RawClient.open(b.port);
    c.send(connectPacket({ clean: false, clientId: '' }));
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0x02);
    expect(connack.sessionPresent).toBe(false);
    await c.expectClosed();
  });

  it('3.1.1 [MQTT-3.1.4-1] [MQTT-3.2.2-6] closes without CONNACK on a CONNECT that does not conform', async () => {
    const c = await RawClient.open(b.port);
    // CONNECT with the reserved connect flag (bit 0) set.
    c.sendRaw([
      0x10, 0x0e, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x03, 0x00, 0x3c, 0x00, 0x02, 0x61, 0x62,
    ]);
    await c.expectClosed();
    expect(c.received.some((p) => p.type === 'connack')).toBe(false);
  });

  it('3.1.1 [MQTT-3.1.4-5] does not process data sent after a refused CONNECT', async () => {
    const c = await RawClient.open(b.port);
    c.socket.cork();
    c.send(connectPacket({ clean: false, clientId: '' }));
    publish(c, 'n311/refused/after', 'must not be stored', { retain: true });
    c.socket.uncork();
    expect((await c.next('connack')).reasonCode).toBe(0x02);
    await c.expectClosed();
    const s = await subscriber('n311/refused/after');
    expect(await drain(s)).toEqual([]);
    s.end();
  });

  it('3.1.1 [MQTT-3.1.3-5] accepts a 23-byte client id of letters and digits', async () => {
    const c = await RawClient.open(b.port);
    c.send(connectPacket({ clientId: 'abcXYZ0123456789defGHIJ' }));
    expect((await c.next('connack')).reasonCode).toBe(0);
    c.end();
  });

  it('3.1.1 [MQTT-3.1.2-4] [MQTT-3.1.4-3] [MQTT-3.1.3-2] [MQTT-4.1.0-1] CleanSession 0 resumes the subscriptions of the stored session', async () => {
    const c = await subscriber('n311/resume', 1, { clientId: 'n311-resume', clean: false });
    c.send({ type: 'disconnect' });
    await c.expectClosed();
    const back = await RawClient.connect(b.port, { clientId: 'n311-resume', clean: false });
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/resume', 'still subscribed');
    expect((await back.next('publish')).payload.toString()).toBe('still subscribed');
    back.send({ type: 'disconnect' });
    await RawClient.connect(b.port, { clientId: 'n311-resume', clean: true }).then((x) => x.end());
    p.end();
  });
});

describe('3.1.1 wills and retained messages', () => {
  it('3.1.1 [MQTT-3.1.2-16] publishes a will with Will Retain 0 as a non-retained message', async () => {
    const live = await subscriber('n311/will/plain');
    const c = await RawClient.connect(b.port, {
      will: { topic: 'n311/will/plain', payload: Buffer.from('w0'), qos: 0, retain: false },
    });
    c.socket.destroy();
    expect((await live.next('publish')).payload.toString()).toBe('w0');
    const later = await subscriber('n311/will/plain');
    expect(await drain(later)).toEqual([]);
    live.end();
    later.end();
  });

  it('3.1.1 [MQTT-3.1.2-17] publishes a will with Will Retain 1 as a retained message', async () => {
    const c = await RawClient.connect(b.port, {
      will: { topic: 'n311/will/retained', payload: Buffer.from('w1'), qos: 1, retain: true },
    });
    c.socket.destroy();
    await sleep(200);
    const later = await subscriber('n311/will/retained', 1);
    const got = await later.next('publish');
    expect(got.payload.toString()).toBe('w1');
    expect(got.retain).toBe(true);
    later.end();
  });

  it('3.1.1 [MQTT-3.1.2.7] retained messages are not deleted when the publishing session ends', async () => {
    const p = await RawClient.connect(b.port, { clean: true });
    publish(p, 'n311/ret/survives', 'kept', { retain: true, qos: 1, packetId: 1 });
    await p.next('puback');
    p.send({ type: 'disconnect' });
    await p.expectClosed();
    const s = await subscriber('n311/ret/survives');
    expect((await s.next('publish')).payload.toString()).toBe('kept');
    s.end();
  });

  it('3.1.1 [MQTT-3.3.1-7] a QoS 0 retained message replaces the retained message of its topic', async () => {
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/ret/q0', 'old', { retain: true, qos: 1, packetId: 1 });
    await p.next('puback');
    publish(p, 'n311/ret/q0', 'new', { retain: true });
    await sleep(100);
    const s = await subscriber('n311/ret/q0');
    expect(await drain(s)).toEqual(['new']);
    p.end();
    s.end();
  });

  it('3.1.1 [MQTT-3.3.1-12] a PUBLISH with RETAIN 0 neither stores nor removes the retained message', async () => {
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/ret/keep', 'retained', { retain: true });
    publish(p, 'n311/ret/keep', 'live');
    publish(p, 'n311/ret/keep', '');
    await sleep(100);
    const s = await subscriber('n311/ret/keep');
    expect(await drain(s)).toEqual(['retained']);
    p.end();
    s.end();
  });
});

describe('3.1.1 PUBLISH', () => {
  it('3.1.1 [MQTT-3.3.1-3] [MQTT-3.3.1-2] [MQTT-4.3.1-1] the DUP flag of an incoming PUBLISH is not propagated', async () => {
    const s1 = await subscriber('n311/dup', 1);
    const s0 = await subscriber('n311/dup', 0);
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/dup', 'd', { qos: 1, packetId: 3, dup: true });
    await p.next('puback');
    const got1 = await s1.next('publish');
    expect(got1.qos).toBe(1);
    expect(got1.dup).toBe(false);
    const got0 = await s0.next('publish');
    expect(got0.qos).toBe(0);
    expect(got0.dup).toBe(false);
    for (const c of [s1, s0, p]) c.end();
  });

  it('3.1.1 [MQTT-3.3.2-3] the topic name sent to a subscriber is the published name, matching its filter', async () => {
    const s = await subscriber('n311/match/+/x');
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/match/abc/x', 'm');
    expect((await s.next('publish')).topic).toBe('n311/match/abc/x');
    p.end();
    s.end();
  });

  it('3.1.1 [MQTT-4.3.2-2] [MQTT-2.3.1-6] after PUBACK a PUBLISH reusing the packet id is a new publication, even with DUP', async () => {
    const s = await subscriber('n311/q1/reuse');
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/q1/reuse', 'first', { qos: 1, packetId: 7 });
    expect((await p.next('puback')).packetId).toBe(7);
    publish(p, 'n311/q1/reuse', 'second', { qos: 1, packetId: 7, dup: true });
    expect((await p.next('puback')).packetId).toBe(7);
    expect(await drain(s)).toEqual(['first', 'second']);
    p.end();
    s.end();
  });

  it('3.1.1 [MQTT-4.3.3-2] [MQTT-2.3.1-6] after PUBCOMP a PUBLISH reusing the packet id is a new publication', async () => {
    const s = await subscriber('n311/q2/reuse');
    const p = await RawClient.connect(b.port);
    for (const text of ['first', 'second']) {
      publish(p, 'n311/q2/reuse', text, { qos: 2, packetId: 8 });
      expect((await p.next('pubrec')).packetId).toBe(8);
      p.send({ type: 'pubrel', packetId: 8 });
      expect((await p.next('pubcomp')).packetId).toBe(8);
    }
    expect(await drain(s)).toEqual(['first', 'second']);
    p.end();
    s.end();
  });

  it('3.1.1 [MQTT-2.3.1-1] [MQTT-2.3.1-4] [MQTT-4.3.2-1] unacknowledged QoS 1 deliveries carry distinct non-zero packet ids', async () => {
    const s = await subscriber('n311/ids', 1);
    const p = await RawClient.connect(b.port);
    for (let i = 0; i < 5; i++) publish(p, 'n311/ids', String(i), { qos: 1, packetId: i + 1 });
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const got = await s.next('publish');
      expect(got.qos).toBe(1);
      ids.push(got.packetId!);
    }
    expect(ids.every((id) => id > 0 && id <= 65535)).toBe(true);
    expect(new Set(ids).size).toBe(5);
    p.end();
    s.end();
  });

  it('3.1.1 [MQTT-4.6.0-5] [MQTT-4.6.0-6] delivers messages of one topic and QoS in the order they were published', async () => {
    const s = await subscriber('n311/order', 1);
    const p = await RawClient.connect(b.port);
    const sent = Array.from({ length: 40 }, (_, i) => String(i));
    for (const [i, text] of sent.entries()) publish(p, 'n311/order', text, { qos: 1, packetId: i + 1 });
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
});

describe('3.1.1 topic names and filters', () => {
  it('3.1.1 [MQTT-4.7.3-4] matches without normalising case, empty levels or trailing separators', async () => {
    const s = await subscriber('n311/norm/A');
    const p = await RawClient.connect(b.port);
    for (const topic of ['n311/norm/a', 'n311/norm/A/', 'n311//norm/A', 'n311/norm/A'])
      publish(p, topic, topic);
    expect(await drain(s)).toEqual(['n311/norm/A']);
    p.end();
    s.end();
  });

  it('3.1.1 [MQTT-1.5.3-3] keeps a leading U+FEFF in topic names', async () => {
    const s = await subscriber('\ufeffn311/bom');
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/bom', 'stripped');
    publish(p, '\ufeffn311/bom', 'kept');
    const got = await s.next('publish');
    expect(got.topic).toBe('\ufeffn311/bom');
    expect(got.payload.toString()).toBe('kept');
    expect(await drain(s)).toEqual([]);
    p.end();
    s.end();
  });

  it('3.1.1 [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-3.8.4-5] [MQTT-3.9.3-2] answers misplaced wildcards with return code 0x80', async () => {
    const c = await RawClient.connect(b.port);
    c.send({
      type: 'subscribe',
      packetId: 2,
      subscriptions: [
        { topicFilter: 'n311/#/x', qos: 0 },
        { topicFilter: 'n311/a#', qos: 0 },
        { topicFilter: 'n311/a+/b', qos: 0 },
        { topicFilter: 'n311/+/b/#', qos: 1 },
      ],
    });
    expect((await c.next('suback')).reasonCodes).toEqual([0x80, 0x80, 0x80, 1]);
    c.end();
  });

  it('3.1.1 [MQTT-1.5.3-1] [MQTT-1.5.3-2] [MQTT-3.3.2-1] [MQTT-4.7.3-2] closes a connection sending ill-formed UTF-8 or U+0000 in a topic', async () => {
    for (const bad of [0xff, 0x00]) {
      const c = await RawClient.connect(b.port);
      c.sendRaw([0x30, 0x04, 0x00, 0x02, 0x61, bad]);
      await c.expectClosed();
    }
  });
});

describe('3.1.1 SUBSCRIBE / UNSUBSCRIBE', () => {
  it('3.1.1 [MQTT-3.8.4-2] [MQTT-2.3.1-7] SUBACK and UNSUBACK carry the packet id of their request', async () => {
    const c = await RawClient.connect(b.port);
    c.send({ type: 'subscribe', packetId: 4242, subscriptions: [{ topicFilter: 'n311/pid', qos: 0 }] });
    expect((await c.next('suback')).packetId).toBe(4242);
    c.send({ type: 'unsubscribe', packetId: 4343, topicFilters: ['n311/pid'] });
    expect((await c.next('unsuback')).packetId).toBe(4343);
    c.end();
  });

  it('3.1.1 [MQTT-3.8.4-4] [MQTT-3.9.3-1] handles several filters as a sequence with one SUBACK, codes in order', async () => {
    const c = await RawClient.connect(b.port);
    c.send({
      type: 'subscribe',
      packetId: 5,
      subscriptions: [
        { topicFilter: 'n311/multi/two', qos: 2 },
        { topicFilter: 'n311/multi/zero', qos: 0 },
        { topicFilter: 'n311/multi/one', qos: 1 },
      ],
    });
    expect((await c.next('suback')).reasonCodes).toEqual([2, 0, 1]);
    expect(await c.nothing('suback', 200)).toBe(true);
    const p = await RawClient.connect(b.port);
    for (const [i, t] of ['two', 'zero', 'one'].entries())
      publish(p, `n311/multi/${t}`, t, { qos: 2, packetId: i + 1 });
    const got = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const m = await c.next('publish');
      got.set(m.payload.toString(), m.qos);
      if (m.qos === 1) c.send({ type: 'puback', packetId: m.packetId! });
      if (m.qos === 2) c.send({ type: 'pubrec', packetId: m.packetId! });
    }
    expect(Object.fromEntries(got)).toEqual({ two: 2, zero: 0, one: 1 });
    p.end();
    c.end();
  });

  it('3.1.1 [MQTT-3.10.4-1] [MQTT-3.10.4-2] UNSUBSCRIBE removes only a filter equal character by character', async () => {
    const s = await subscriber('n311/unsub/+');
    const p = await RawClient.connect(b.port);
    s.send({ type: 'unsubscribe', packetId: 2, topicFilters: ['n311/unsub/x', 'n311/unsub/#'] });
    await s.next('unsuback');
    publish(p, 'n311/unsub/x', 'still');
    expect((await s.next('publish')).payload.toString()).toBe('still');
    s.send({ type: 'unsubscribe', packetId: 3, topicFilters: ['n311/unsub/+'] });
    await s.next('unsuback');
    publish(p, 'n311/unsub/x', 'gone');
    expect(await drain(s)).toEqual([]);
    p.end();
    s.end();
  });

  it('3.1.1 [MQTT-3.10.4-4] [MQTT-3.10.4-5] [MQTT-3.10.4-6] one UNSUBACK for several filters, even when none was subscribed', async () => {
    const c = await subscriber('n311/un/a');
    c.send({ type: 'unsubscribe', packetId: 9, topicFilters: ['n311/un/a', 'n311/un/never'] });
    expect((await c.next('unsuback')).packetId).toBe(9);
    expect(await c.nothing('unsuback', 200)).toBe(true);
    c.send({ type: 'unsubscribe', packetId: 10, topicFilters: ['n311/un/none'] });
    expect((await c.next('unsuback')).packetId).toBe(10);
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/un/a', 'x');
    expect(await drain(c)).toEqual([]);
    p.end();
    c.end();
  });
});

describe('3.1.1 reserved bits', () => {
  const cases: Array<[string, number[]]> = [
    ['[MQTT-3.6.1-1] PUBREL with flags 0000', [0x60, 0x02, 0x00, 0x01]],
    ['[MQTT-3.8.1-1] SUBSCRIBE with flags 0000', [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]],
    ['[MQTT-3.10.1-1] UNSUBSCRIBE with flags 0000', [0xa0, 0x05, 0x00, 0x01, 0x00, 0x01, 0x61]],
    ['[MQTT-3-8.3-4] SUBSCRIBE requesting QoS 3', [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x03]],
    ['[MQTT-3.14.1-1] DISCONNECT with flags 0001', [0xe1, 0x00]],
    ['[MQTT-2.2.2-2] PINGREQ with flags 0001', [0xc1, 0x00]],
    [
      '[MQTT-3.8.3-1] [MQTT-1.5.3-1] SUBSCRIBE with an ill-formed UTF-8 filter',
      [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0xff, 0x00],
    ],
    [
      '[MQTT-3.10.3-1] [MQTT-1.5.3-1] UNSUBSCRIBE with an ill-formed UTF-8 filter',
      [0xa2, 0x05, 0x00, 0x01, 0x00, 0x01, 0xff],
    ],
  ];
  for (const [what, bytes] of cases) {
    it(`3.1.1 ${what}: the server closes the connection`, async () => {
      const c = await RawClient.connect(b.port);
      c.sendRaw(bytes);
      await c.expectClosed();
    });
  }

  it('3.1.1 [MQTT-3.14.1-1] a DISCONNECT with reserved flags is not a DISCONNECT: the will is published', async () => {
    const s = await subscriber('n311/will/baddisc');
    const c = await RawClient.connect(b.port, {
      will: { topic: 'n311/will/baddisc', payload: Buffer.from('w'), qos: 0, retain: false },
    });
    c.sendRaw([0xe1, 0x00]);
    await c.expectClosed();
    expect((await s.next('publish')).payload.toString()).toBe('w');
    s.end();
  });
});

describe('3.1.1 authorization', () => {
  it('3.1.1 [MQTT-3.3.5-2] an unauthorized PUBLISH is acknowledged normally (or the connection closed) and not delivered', async () => {
    const s = await subscriber('$SYS/n311/#');
    const p = await RawClient.connect(b.port);
    publish(p, '$SYS/n311/fake', 'x', { qos: 1, packetId: 12 });
    const answer = await Promise.race([
      p.next('puback').then((ack) => ack.packetId),
      p.closed.then(() => 'closed' as const),
    ]);
    expect([12, 'closed']).toContain(answer);
    expect(await drain(s)).toEqual([]);
    p.end();
    s.end();
  });
});

describe('3.1.1 with empty client ids disabled', () => {
  let strict: InProcessBroker;
  beforeAll(async () => {
    strict = await startBroker({ allowZeroLengthClientId: false });
  });
  afterAll(() => strict.stop());

  it('3.1.1 [MQTT-3.1.3-9] a rejected client id gets CONNACK 0x02 and the connection is closed', async () => {
    const c = await RawClient.open(strict.port);
    c.send(connectPacket({ clientId: '', clean: true }));
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0x02);
    expect(connack.sessionPresent).toBe(false);
    await c.expectClosed();
  });
});

describe('3.1.1 CONNECT payload validation', () => {
  // CONNECT, protocol level 4, keep alive 60; each case breaks one field.
  const head = (flags: number) => [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, flags, 0x00, 0x3c];
  const cases: Array<[string, number[]]> = [
    [
      '[MQTT-3.1.3-4] [MQTT-1.5.3-1] ill-formed UTF-8 in the client id',
      [...head(0x02), 0x00, 0x02, 0x61, 0xff],
    ],
    [
      '[MQTT-3.1.3-10] [MQTT-1.5.3-1] ill-formed UTF-8 in the will topic',
      [...head(0x06), 0x00, 0x01, 0x61, 0x00, 0x01, 0xff, 0x00, 0x00],
    ],
    [
      '[MQTT-3.1.3-11] [MQTT-1.5.3-1] ill-formed UTF-8 in the user name',
      [...head(0x82), 0x00, 0x01, 0x61, 0x00, 0x01, 0xff],
    ],
    ['[MQTT-3.1.2-11] [MQTT-3.1.2-13] Will QoS 1 without the Will Flag', [...head(0x0a), 0x00, 0x01, 0x61]],
  ];
  for (const [what, body] of cases) {
    it(`3.1.1 ${what}: closed without CONNACK`, async () => {
      const c = await RawClient.open(b.port);
      c.sendRaw([0x10, body.length, ...body]);
      await c.expectClosed();
      expect(c.received.some((p) => p.type === 'connack')).toBe(false);
    });
  }
});

describe('3.1.1 session lifetime', () => {
  it('3.1.1 [MQTT-4.1.0-2] a CleanSession 1 session lasts as long as its connection', async () => {
    const s = await subscriber('n311/lifetime', 1);
    await sleep(1_000);
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/lifetime', 'still here');
    expect((await s.next('publish')).payload.toString()).toBe('still here');
    p.end();
    s.end();
  });

  it('3.1.1 [MQTT-3.10.4-3] completes a QoS 1 delivery already started when its subscription is deleted', async () => {
    const s = await subscriber('n311/unsub/inflight', 1, { clientId: 'n311-inflight', clean: false });
    const p = await RawClient.connect(b.port);
    publish(p, 'n311/unsub/inflight', 'started', { qos: 1, packetId: 1 });
    const first = await s.next('publish');
    s.send({ type: 'unsubscribe', packetId: 2, topicFilters: ['n311/unsub/inflight'] });
    await s.next('unsuback');
    s.socket.destroy();
    await s.closed;
    const back = await RawClient.connect(b.port, { clientId: 'n311-inflight', clean: false });
    const again = await back.next('publish');
    expect(again.packetId).toBe(first.packetId);
    expect(again.payload.toString()).toBe('started');
    back.send({ type: 'puback', packetId: again.packetId! });
    back.send({ type: 'disconnect' });
    p.end();
  });
});

describe('3.1.1 over WebSocket', () => {
  let ws: InProcessBroker;
  beforeAll(async () => {
    ws = await startBroker({
      listeners: [{ port: 0, host: '127.0.0.1', protocol: 'websockets', maxConnections: 0 }],
    });
  });
  afterAll(() => ws.stop());

  it('3.1.1 [MQTT-6.0.0-4] [MQTT-6.0.0-2] selects the "mqtt" subprotocol and reads a CONNECT split over two binary frames', async () => {
    const socket = await openMqttWebSocket(ws.port);
    expect(socket.protocol).toBe('mqtt');
    const answer = await connectInTwoFrames(
      socket,
      Buffer.from([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x61]),
    );
    expect(answer[0]).toBe(0x20);
    expect(answer[3]).toBe(0x00); // CONNACK reason / return code
    socket.terminate();
  });
});
