// How the broker answers packets the specification rules on case by case (issue 14): MQTT 3.1
// CONNECT and CONNACK, invalid packets, acknowledgements in and out of their flow, control
// characters, and the short 5.0 acknowledgements. Statement numbers are those of the version
// each test names; docs/reason-codes.md lists the 5.0 reason code of every case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectPacket, Packet, ProtocolVersion, QoS } from '../../src/protocol/types.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let b: InProcessBroker;
beforeAll(async () => {
  b = await startBroker();
});
afterAll(() => b.stop());

const id = (prefix: string) => `${prefix}-${Math.random().toString(16).slice(2, 10)}`;

/** A length-prefixed string of raw bytes. */
function str(bytes: Buffer | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  return Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]);
}

/** A packet with a one-byte remaining length. */
function raw(first: number, ...body: (number | Buffer)[]): Buffer {
  const b = Buffer.concat(body.map((p) => (typeof p === 'number' ? Buffer.from([p]) : p)));
  return Buffer.concat([Buffer.from([first, b.length]), b]);
}

function connect(version: ProtocolVersion, over: Partial<ConnectPacket> = {}): ConnectPacket {
  return {
    type: 'connect',
    protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    bridge: false,
    clean: true,
    keepalive: 60,
    clientId: id(`np${version}`),
    ...over,
  };
}

async function client(version: ProtocolVersion, over: Partial<ConnectPacket> = {}): Promise<RawClient> {
  return RawClient.connect(b.port, connect(version, over));
}

/** The connection is closed; a 5.0 client is first told `reasonCode` in a DISCONNECT. */
async function closedWith(c: RawClient, reasonCode?: number): Promise<void> {
  if (reasonCode !== undefined) expect((await c.next('disconnect')).reasonCode).toBe(reasonCode);
  await c.expectClosed();
}

/** The connection is still open and answering. */
async function stillOpen(c: RawClient): Promise<void> {
  c.send({ type: 'pingreq' });
  await c.next('pingresp');
  expect(c.isClosed).toBe(false);
}

async function subscribe(c: RawClient, filter: string, qos: QoS, noLocal = false): Promise<number[]> {
  c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: filter, qos, noLocal }] });
  return (await c.next('suback')).reasonCodes;
}

/** A subscriber that has received one PUBLISH at `qos` on a fresh topic, and its packet id. */
async function delivery(version: ProtocolVersion, qos: 1 | 2) {
  const topic = id('np/flow');
  const sub = await client(version);
  await subscribe(sub, topic, qos);
  const pub = await client(4);
  pub.send({
    type: 'publish',
    topic,
    payload: Buffer.from('m'),
    qos,
    packetId: 1,
    retain: false,
    dup: false,
  });
  const received = await sub.next('publish');
  expect(received.qos).toBe(qos);
  pub.end();
  return { sub, packetId: received.packetId! };
}

describe('MQTT 3.1 (protocol level 3) is not 3.1.1', () => {
  it('3.1 (section 3.2: byte 1 reserved) has no Session Present flag: CONNACK byte 1 is 0 even when the session was kept', async () => {
    const clientId = id('np3-sp');
    (await client(3, { clientId, clean: false })).end();
    const again = await RawClient.open(b.port, 3);
    again.send(connect(3, { clientId, clean: false }));
    const connack = await again.next('connack');
    expect(connack).toMatchObject({ sessionPresent: false, reasonCode: 0 });
    again.end();
    // The same resumption in 3.1.1 does say the session was present [MQTT-3.2.2-2].
    const clientId4 = id('np4-sp');
    (await client(4, { clientId: clientId4, clean: false })).end();
    const v4 = await RawClient.open(b.port, 4);
    v4.send(connect(4, { clientId: clientId4, clean: false }));
    expect((await v4.next('connack')).sessionPresent).toBe(true);
    v4.end();
  });

  it('3.1 (section 3.1) accepts the CONNECT fixed-header flags and connect flag bit 0, which 3.1.1 reserves', async () => {
    const c = await RawClient.open(b.port, 3);
    c.sendRaw(raw(0x13, str('MQIsdp'), 3, 0x03, 0, 60, str(id('np3-flags'))));
    expect((await c.next('connack')).reasonCode).toBe(0);
    await stillOpen(c);
    c.end();
  });

  it('3.1.1 [MQTT-2.2.2-2] closes on a CONNECT with fixed-header flags, without CONNACK', async () => {
    const c = await RawClient.open(b.port, 4);
    c.sendRaw(raw(0x13, str('MQTT'), 4, 0x02, 0, 60, str(id('np4-flags'))));
    await c.expectClosed();
    expect(c.received).toEqual([]);
  });

  it('3.1.1 [MQTT-3.1.2-3] closes on a CONNECT with the reserved connect flag, without CONNACK', async () => {
    const c = await RawClient.open(b.port, 4);
    c.sendRaw(raw(0x10, str('MQTT'), 4, 0x03, 0, 60, str(id('np4-reserved'))));
    await c.expectClosed();
    expect(c.received).toEqual([]);
  });
});

describe('invalid packets close the connection', () => {
  for (const [version, statement] of [
    [4, '3.1.1 [MQTT-4.8.0-1]'],
    [5, '5.0 [MQTT-4.13.1-1]'],
  ] as const) {
    it(`${statement} PINGREQ with a body closes the connection`, async () => {
      const c = await client(version);
      c.sendRaw([0xc0, 1, 0]);
      await closedWith(c, version === 5 ? 0x81 : undefined);
    });
  }

  it('3.1.1 [MQTT-3.1.2-8] [MQTT-4.8.0-1] a DISCONNECT with a body is malformed: the will is published, not discarded', async () => {
    const topic = id('np/will');
    const watcher = await client(4);
    await subscribe(watcher, topic, 0);
    const c = await client(4, { will: { topic, payload: Buffer.from('gone'), qos: 0, retain: false } });
    c.sendRaw([0xe0, 1, 0]);
    await c.expectClosed();
    expect((await watcher.next('publish')).payload.toString()).toBe('gone');
    watcher.end();
  });

  it('5.0 [MQTT-3.14.4-3] a DISCONNECT with a reason code and property length is valid: no will', async () => {
    const topic = id('np/will5');
    const watcher = await client(5);
    await subscribe(watcher, topic, 0);
    const c = await client(5, { will: { topic, payload: Buffer.from('gone'), qos: 0, retain: false } });
    c.sendRaw([0xe0, 2, 0, 0]);
    await c.expectClosed();
    expect(await watcher.nothing('publish')).toBe(true);
    watcher.end();
  });

  for (const version of [4, 5] as const) {
    it(`${version === 5 ? '5.0' : '3.1.1'} [MQTT-3.3.1-2] a QoS 0 PUBLISH with DUP set closes the connection`, async () => {
      const c = await client(version);
      c.sendRaw(raw(0x38, str('np/dup'), ...(version === 5 ? [0] : []), Buffer.from('x')));
      await closedWith(c, version === 5 ? 0x81 : undefined);
    });
  }

  // Bodies that would not even parse: the type alone decides, before the body is read.
  const serverOnly: [string, number[]][] = [
    ['CONNACK', [0x20, 3, 0xff, 0xff, 0xff]],
    ['SUBACK', [0x90, 1, 0]],
    ['UNSUBACK', [0xb0, 0]],
    ['PINGRESP', [0xd0, 2, 1, 2]],
  ];
  for (const [name, bytes] of serverOnly) {
    it(`5.0 [MQTT-4.13.1-1] ${name} from a client is a Protocol Error (0x82), decided before its body`, async () => {
      const c = await client(5);
      c.sendRaw(bytes);
      await closedWith(c, 0x82);
    });

    it(`3.1.1 [MQTT-4.8.0-1] ${name} from a client closes the connection`, async () => {
      const c = await client(4);
      c.sendRaw(bytes);
      await c.expectClosed();
    });
  }

  it('3.1.1 [MQTT-3.1.0-1] a CONNACK as the first packet closes the connection without CONNACK', async () => {
    const c = await RawClient.open(b.port, 4);
    c.sendRaw([0x20, 2, 0, 0]);
    await c.expectClosed();
    expect(c.received).toEqual([]);
  });
});

describe('acknowledgements and the state of their flow', () => {
  for (const version of [4, 5] as const) {
    const v = version === 5 ? '5.0 [MQTT-4.13.1-1]' : '3.1.1 [MQTT-4.8.0-1]';
    const code = version === 5 ? 0x82 : undefined;

    it(`${v} a PUBREC answering a QoS 1 PUBLISH closes the connection`, async () => {
      const { sub, packetId } = await delivery(version, 1);
      sub.send({ type: 'pubrec', packetId });
      await closedWith(sub, code);
    });

    it(`${v} a PUBCOMP before PUBREC closes the connection`, async () => {
      const { sub, packetId } = await delivery(version, 2);
      sub.send({ type: 'pubcomp', packetId });
      await closedWith(sub, code);
    });

    it(`${v} a PUBACK answering a QoS 2 PUBLISH closes the connection`, async () => {
      const { sub, packetId } = await delivery(version, 2);
      sub.send({ type: 'puback', packetId });
      await closedWith(sub, code);
    });

    it(`${v} a PUBCOMP answering a QoS 1 PUBLISH closes the connection`, async () => {
      const { sub, packetId } = await delivery(version, 1);
      sub.send({ type: 'pubcomp', packetId });
      await closedWith(sub, code);
    });

    it(`${version === 5 ? '5.0 [MQTT-4.3.3-11]' : '3.1.1 [MQTT-4.3.3-2]'} a PUBREL for an unknown packet id is answered with PUBCOMP${version === 5 ? ' 0x92' : ''}`, async () => {
      const c = await client(version);
      c.send({ type: 'pubrel', packetId: 77 });
      const pubcomp = await c.next('pubcomp');
      expect(pubcomp.packetId).toBe(77);
      expect(pubcomp.reasonCode).toBe(version === 5 ? 0x92 : undefined);
      await stillOpen(c);
      c.end();
    });

    it(`${version === 5 ? '5.0 (4.3.3, 3.6.2.1)' : '3.1.1 (4.3.3)'} a PUBREC for an unknown packet id is answered with PUBREL${version === 5 ? ' 0x92' : ''}; PUBACK and PUBCOMP are ignored`, async () => {
      const c = await client(version);
      c.send({ type: 'pubrec', packetId: 78 });
      const pubrel = await c.next('pubrel');
      expect(pubrel.packetId).toBe(78);
      expect(pubrel.reasonCode).toBe(version === 5 ? 0x92 : undefined);
      c.send({ type: 'puback', packetId: 79 });
      c.send({ type: 'pubcomp', packetId: 80 });
      await stillOpen(c);
      expect(c.received.filter((p: Packet) => p.type !== 'pingresp')).toEqual([]);
      c.end();
    });
  }

  it('5.0 (4.3.3) the flow completes in order: PUBREC, PUBREL, PUBCOMP, and the connection stays', async () => {
    const { sub, packetId } = await delivery(5, 2);
    sub.send({ type: 'pubrec', packetId });
    expect((await sub.next('pubrel')).packetId).toBe(packetId);
    sub.send({ type: 'pubcomp', packetId });
    await stillOpen(sub);
    sub.end();
  });
});

describe('control characters U+0001..U+001F and U+007F..U+009F (3.1.1 1.5.3, 5.0 1.5.4: SHOULD NOT)', () => {
  const controls = ['a\u0001b', 'a\u001fb', 'a\u007fb', 'a\u0085b', 'a\u009fb'];

  for (const version of [3, 4, 5] as const) {
    const name = { 3: '3.1', 4: '3.1.1', 5: '5.0' }[version];
    it(`${name} a client id with a control character is refused: CONNACK ${version === 5 ? '0x85' : '2'}`, async () => {
      for (const clientId of controls) {
        const c = await RawClient.open(b.port, version);
        c.send(connect(version, { clientId }));
        expect((await c.next('connack')).reasonCode).toBe(version === 5 ? 0x85 : 2);
        await c.expectClosed();
      }
    });

    it(`${name} a user name with a control character is refused: CONNACK ${version === 5 ? '0x86' : '4'}`, async () => {
      const c = await RawClient.open(b.port, version);
      c.send(connect(version, { username: 'u\u0007' }));
      expect((await c.next('connack')).reasonCode).toBe(version === 5 ? 0x86 : 4);
      await c.expectClosed();
    });

    it(`${name} a will topic with a control character is refused${version === 5 ? ': CONNACK 0x90' : ' without CONNACK'}`, async () => {
      const c = await RawClient.open(b.port, version);
      c.send(
        connect(version, { will: { topic: 'w\u0010', payload: Buffer.alloc(0), qos: 0, retain: false } }),
      );
      if (version === 5) expect((await c.next('connack')).reasonCode).toBe(0x90);
      await c.expectClosed();
      if (version !== 5) expect(c.received).toEqual([]);
    });

    it(`${name} a PUBLISH to a topic with a control character closes the connection${version === 5 ? ' (0x90)' : ''}`, async () => {
      for (const topic of controls) {
        const c = await client(version);
        c.send({ type: 'publish', topic, payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
        await closedWith(c, version === 5 ? 0x90 : undefined);
      }
    });

    it(`${name} a SUBSCRIBE or UNSUBSCRIBE with a control character closes the connection${version === 5 ? ' (0x8F)' : ''}`, async () => {
      const s = await client(version);
      s.send({
        type: 'subscribe',
        packetId: 1,
        subscriptions: [
          { topicFilter: 'ok', qos: 0 },
          { topicFilter: 'f\u009f/#', qos: 0 },
        ],
      });
      await closedWith(s, version === 5 ? 0x8f : undefined);
      expect(s.received.some((p: Packet) => p.type === 'suback')).toBe(false);
      const u = await client(version);
      u.send({ type: 'unsubscribe', packetId: 2, topicFilters: ['f\u0001'] });
      await closedWith(u, version === 5 ? 0x8f : undefined);
    });
  }

  it('3.1.1 [MQTT-1.5.3-3] characters outside those ranges are accepted: U+00A0, U+FEFF, U+2028', async () => {
    const c = await client(4, { clientId: id('np-\u00a0\ufeff\u2028') });
    await subscribe(c, 'np/\u00a0\ufeff\u2028', 0);
    await stillOpen(c);
    c.end();
  });
});

describe('5.0 acknowledgements in their shortest form (5.0 3.4.2.1)', () => {
  function capture(c: RawClient): () => Buffer {
    const chunks: Buffer[] = [];
    c.socket.on('data', (d: Buffer) => chunks.push(d));
    return () => Buffer.concat(chunks);
  }

  it('5.0 (3.4.2.1) a PUBACK with reason 0x10 and no properties has Remaining Length 3; with 0x00, 2', async () => {
    const c = await client(5);
    const bytes = capture(c);
    c.send({
      type: 'publish',
      topic: id('np/nobody'),
      payload: Buffer.from('x'),
      qos: 1,
      packetId: 0x0102,
      retain: false,
      dup: false,
    });
    expect((await c.next('puback')).reasonCode).toBe(0x10);
    expect(bytes().toString('hex')).toBe('4003010210');
    const topic = id('np/somebody');
    const sub = await client(5);
    await subscribe(sub, topic, 0);
    const before = bytes().length;
    c.send({
      type: 'publish',
      topic,
      payload: Buffer.from('x'),
      qos: 1,
      packetId: 0x0103,
      retain: false,
      dup: false,
    });
    await c.next('puback');
    expect(bytes().subarray(before).toString('hex')).toBe('40020103');
    sub.end();
    c.end();
  });

  it('5.0 (3.5.2.1, 3.7.2.1) a PUBREC or PUBCOMP with a reason code and no properties has Remaining Length 3', async () => {
    const c = await client(5);
    const bytes = capture(c);
    c.send({
      type: 'publish',
      topic: id('np/nobody2'),
      payload: Buffer.from('x'),
      qos: 2,
      packetId: 9,
      retain: false,
      dup: false,
    });
    expect((await c.next('pubrec')).reasonCode).toBe(0x10);
    expect(bytes().toString('hex')).toBe('5003000910');
    c.send({ type: 'pubrel', packetId: 10 });
    expect((await c.next('pubcomp')).reasonCode).toBe(0x92);
    expect(bytes().subarray(5).toString('hex')).toBe('7003000a92');
    c.end();
  });

  it('5.0 (3.4.2.1, 0x10 No matching subscribers) a PUBACK to a publisher whose own No Local subscription matched is 0x00, not 0x10', async () => {
    const topic = id('np/nolocal');
    const c = await client(5);
    expect(await subscribe(c, topic, 1, true)).toEqual([1]);
    c.send({
      type: 'publish',
      topic,
      payload: Buffer.from('x'),
      qos: 1,
      packetId: 5,
      retain: false,
      dup: false,
    });
    expect((await c.next('puback')).reasonCode).toBeUndefined();
    expect(await c.nothing('publish')).toBe(true);
    c.end();
  });

  it.each([1, 2] as const)(
    '3.1.1 (4.6) QoS %i: the acknowledgement of a PUBLISH goes out before the copy it makes for its own publisher',
    async (qos) => {
      const topic = id('np/self');
      const c = await client(4);
      expect(await subscribe(c, topic, qos)).toEqual([qos]);
      c.send({
        type: 'publish',
        topic,
        payload: Buffer.from('x'),
        qos,
        packetId: 9,
        retain: false,
        dup: false,
      });
      const first = await c.next();
      const second = await c.next();
      expect([first.type, second.type]).toEqual([qos === 1 ? 'puback' : 'pubrec', 'publish']);
      c.end();
    },
  );
});
