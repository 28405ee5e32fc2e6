import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message } from '../../../src/broker/message.js';
import { type InProcessBroker, startBroker } from '../../helpers/broker.js';
import { tempDir } from '../../helpers/processes.js';
import { RawClient } from '../../helpers/raw-client.js';

let b: InProcessBroker;
beforeAll(async () => {
  b = await startBroker();
});
afterAll(() => b.stop());

const pub = (c: RawClient, topic: string, text: string, qos: 0 | 1 = 0, retain = false) =>
  c.send({
    type: 'publish',
    topic,
    payload: Buffer.from(text),
    qos,
    retain,
    dup: false,
    packetId: qos > 0 ? 1 : undefined,
  });

describe('SUBSCRIBE', () => {
  it('3.1.1 [MQTT-3.8.4-1] [MQTT-3.8.4-5] answers with SUBACK carrying one granted QoS per filter', async () => {
    const c = await RawClient.connect(b.port);
    c.send({
      type: 'subscribe',
      packetId: 12,
      subscriptions: [
        { topicFilter: 's/a', qos: 0 },
        { topicFilter: 's/b', qos: 1 },
        { topicFilter: 's/c', qos: 2 },
      ],
    });
    const suback = await c.next('suback');
    expect(suback.packetId).toBe(12);
    expect(suback.reasonCodes).toEqual([0, 1, 2]);
    c.end();
  });

  it('3.1.1 [MQTT-3.8.4-5] [MQTT-4.7.1-2] 5.0 [MQTT-3.8.4-7] [MQTT-3.9.3-2] [MQTT-4.7.1-1] answers an invalid filter with 0x80 (3.1.1) and 0x8F (5.0)', async () => {
    for (const [version, code] of [
      [4, 0x80],
      [5, 0x8f],
    ] as const) {
      const c = await RawClient.connect(b.port, { protocolVersion: version });
      c.send({
        type: 'subscribe',
        packetId: 1,
        subscriptions: [
          { topicFilter: 'a/#/b', qos: 0 },
          { topicFilter: 'ok', qos: 1 },
        ],
      });
      expect((await c.next('suback')).reasonCodes).toEqual([code, 1]);
      c.end();
    }
  });

  it('3.1.1 [MQTT-3.8.4-3] a repeated filter replaces the subscription and resends retained messages', async () => {
    const p = await RawClient.connect(b.port);
    pub(p, 'rep/t', 'kept', 0, true);
    const c = await RawClient.connect(b.port);
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'rep/t', qos: 0 }] });
    await c.next('suback');
    expect((await c.next('publish')).retain).toBe(true);
    c.send({ type: 'subscribe', packetId: 2, subscriptions: [{ topicFilter: 'rep/t', qos: 1 }] });
    await c.next('suback');
    expect((await c.next('publish')).retain).toBe(true);
    pub(p, 'rep/t', 'live', 1);
    const live = await c.next('publish');
    expect(live.qos).toBe(1);
    expect(await c.nothing('publish')).toBe(true);
    p.end();
    c.end();
  });

  it('3.1.1 [MQTT-3.3.5-1] delivers once at the highest QoS when subscriptions overlap', async () => {
    const c = await RawClient.connect(b.port);
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topicFilter: 'ov/#', qos: 0 },
        { topicFilter: 'ov/+', qos: 1 },
        { topicFilter: 'ov/x', qos: 2 },
      ],
    });
    await c.next('suback');
    const p = await RawClient.connect(b.port);
    p.send({
      type: 'publish',
      topic: 'ov/x',
      payload: Buffer.from('1'),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 3,
    });
    await p.next('pubrec');
    p.send({ type: 'pubrel', packetId: 3 });
    const got = await c.next('publish');
    expect(got.qos).toBe(2);
    expect(await c.nothing('publish')).toBe(true);
    p.end();
    c.end();
  });

  it('5.0 [MQTT-3.3.4-3] [MQTT-3.3.4-4] includes the identifiers of every matching subscription', async () => {
    const c = await RawClient.connect(b.port, { protocolVersion: 5 });
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: 'sid/#', qos: 0 }],
      properties: { subscriptionIdentifiers: [7] },
    });
    await c.next('suback');
    c.send({
      type: 'subscribe',
      packetId: 2,
      subscriptions: [{ topicFilter: 'sid/+', qos: 0 }],
      properties: { subscriptionIdentifiers: [9] },
    });
    await c.next('suback');
    const p = await RawClient.connect(b.port);
    pub(p, 'sid/x', 'ids');
    const got = await c.next('publish');
    expect([...(got.properties?.subscriptionIdentifiers ?? [])].sort()).toEqual([7, 9]);
    p.end();
    c.end();
  });

  it('5.0 [MQTT-3.8.3-3] does not send a No Local subscriber its own messages', async () => {
    const c = await RawClient.connect(b.port, { protocolVersion: 5 });
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: 'nl/t', qos: 0, noLocal: true }],
    });
    await c.next('suback');
    pub(c, 'nl/t', 'mine');
    const other = await RawClient.connect(b.port);
    pub(other, 'nl/t', 'theirs');
    expect((await c.next('publish')).payload.toString()).toBe('theirs');
    expect(await c.nothing('publish')).toBe(true);
    other.end();
    c.end();
  });

  it('5.0 [MQTT-3.3.1-12] [MQTT-3.3.1-13] Retain As Published keeps or clears the retain flag', async () => {
    const c = await RawClient.connect(b.port, { protocolVersion: 5 });
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topicFilter: 'rap/yes', qos: 0, retainAsPublished: true },
        { topicFilter: 'rap/no', qos: 0 },
      ],
    });
    await c.next('suback');
    const p = await RawClient.connect(b.port);
    pub(p, 'rap/yes', 'a', 0, true);
    expect((await c.next('publish')).retain).toBe(true);
    pub(p, 'rap/no', 'b', 0, true);
    expect((await c.next('publish')).retain).toBe(false);
    p.end();
    c.end();
  });

  it('5.0 [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] Retain Handling 0 sends retained messages always, 1 only for a new subscription, 2 never', async () => {
    const p = await RawClient.connect(b.port);
    pub(p, 'rh/t', 'r', 0, true);
    await new Promise((r) => setTimeout(r, 50));
    const c = await RawClient.connect(b.port, { protocolVersion: 5 });
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: 'rh/t', qos: 0, retainHandling: 1 }],
    });
    await c.next('suback');
    expect((await c.next('publish')).retain).toBe(true);
    c.send({
      type: 'subscribe',
      packetId: 2,
      subscriptions: [{ topicFilter: 'rh/t', qos: 0, retainHandling: 1 }],
    });
    await c.next('suback');
    expect(await c.nothing('publish')).toBe(true);
    c.send({
      type: 'subscribe',
      packetId: 3,
      subscriptions: [{ topicFilter: 'rh/#', qos: 0, retainHandling: 2 }],
    });
    await c.next('suback');
    expect(await c.nothing('publish')).toBe(true);
    c.send({
      type: 'subscribe',
      packetId: 4,
      subscriptions: [{ topicFilter: 'rh/t', qos: 0, retainHandling: 0 }],
    });
    await c.next('suback');
    expect((await c.next('publish')).retain).toBe(true);
    p.end();
    c.end();
  });

  it('3.1.1 [MQTT-4.7.2-1] wildcard filters at the first level do not match $ topics', async () => {
    const c = await RawClient.connect(b.port);
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topicFilter: '#', qos: 0 },
        { topicFilter: '+/x', qos: 0 },
      ],
    });
    await c.next('suback');
    // Retained messages of earlier tests arrive first; only what is published next matters here.
    await new Promise((r) => setTimeout(r, 200));
    c.received.length = 0;
    b.broker.publish(new Message('$SYS/x', Buffer.from('sys'), 0, false, undefined, 0, '', false));
    b.broker.publish(new Message('$other/x', Buffer.from('dollar'), 0, false, undefined, 0, '', false));
    b.broker.publish(new Message('plain/x', Buffer.from('plain'), 0, false, undefined, 0, '', false));
    const got = await c.next('publish');
    expect(got.topic).toBe('plain/x');
    expect(await c.nothing('publish', 300)).toBe(true);
    c.end();
  });

  it('5.0 [MQTT-3.10.4-4] [MQTT-3.10.4-5] [MQTT-3.10.4-2] answers UNSUBSCRIBE with UNSUBACK and stops delivery', async () => {
    const c = await RawClient.connect(b.port, { protocolVersion: 5 });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'un/t', qos: 0 }] });
    await c.next('suback');
    c.send({ type: 'unsubscribe', packetId: 2, topicFilters: ['un/t', 'never/subscribed'] });
    const unsuback = await c.next('unsuback');
    expect(unsuback.packetId).toBe(2);
    expect(unsuback.reasonCodes).toEqual([0x00, 0x11]);
    const p = await RawClient.connect(b.port);
    pub(p, 'un/t', 'x');
    expect(await c.nothing('publish')).toBe(true);
    p.end();
    c.end();
  });
});

describe('shared subscriptions', () => {
  it('5.0 §4.8.2 (no numbered statement) delivers each message to one member of the group, for 3.1.1 and 5.0 members', async () => {
    const members = [
      await RawClient.connect(b.port, { protocolVersion: 5 }),
      await RawClient.connect(b.port, { protocolVersion: 4 }),
      await RawClient.connect(b.port, { protocolVersion: 5 }),
    ];
    for (const m of members) {
      m.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: '$share/g1/sh/#', qos: 1 }] });
      await m.next('suback');
    }
    const p = await RawClient.connect(b.port);
    for (let i = 0; i < 30; i++)
      p.send({
        type: 'publish',
        topic: `sh/${i}`,
        payload: Buffer.from(String(i)),
        qos: 1,
        retain: false,
        dup: false,
        packetId: i + 1,
      });
    for (let i = 0; i < 30; i++) await p.next('puback');
    await new Promise((r) => setTimeout(r, 200));
    const counts = members.map((m) => m.received.filter((x) => x.type === 'publish').length);
    expect(counts.reduce((a, n) => a + n, 0)).toBe(30);
    for (const n of counts) expect(n).toBeGreaterThan(0);
    for (const m of [...members, p]) m.end();
  });

  it('5.0 [MQTT-3.8.3-4] closes a 5.0 connection asking No Local on a shared subscription', async () => {
    const c = await RawClient.connect(b.port, { protocolVersion: 5 });
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: '$share/g/x', qos: 0, noLocal: true }],
    });
    expect((await c.next('disconnect')).reasonCode).toBe(0x82);
    await c.expectClosed();
  });

  it('sends no retained messages to a new shared subscription', async () => {
    const p = await RawClient.connect(b.port);
    pub(p, 'shr/t', 'r', 0, true);
    const c = await RawClient.connect(b.port);
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: '$share/g/shr/t', qos: 0 }] });
    await c.next('suback');
    expect(await c.nothing('publish')).toBe(true);
    p.end();
    c.end();
  });
});

describe('SUBSCRIBE and the ACL: a filter under which nothing could ever be read is refused', () => {
  let acl: InProcessBroker;
  beforeAll(async () => {
    const file = path.join(tempDir('mqx-sub-acl-'), 'acl');
    writeFileSync(
      file,
      'topic read sensors/#\ntopic deny sensors/secret/#\ntopic write cmd/#\npattern read clients/%c/#\n',
    );
    acl = await startBroker({ security: { allowAnonymous: true, aclFile: file } });
  });
  afterAll(() => acl.stop());

  const FILTERS = [
    'sensors/+/t',
    'cmd/#',
    'sensors/secret/#',
    'clients/acl-sub-4/x',
    'clients/other/#',
    '+/secret/x',
  ];

  async function suback(version: 3 | 4 | 5, clientId: string): Promise<number[]> {
    const c = await RawClient.connect(acl.port, { protocolVersion: version, clientId });
    c.send({
      type: 'subscribe',
      packetId: 3,
      subscriptions: FILTERS.map((topicFilter) => ({ topicFilter, qos: 1 as const })),
    });
    const codes = (await c.next('suback')).reasonCodes;
    c.end();
    return codes;
  }

  it('3.1.1 [MQTT-3.9.3-2] refused filters get 0x80; filters overlapping a read grant are granted', async () => {
    expect(await suback(4, 'acl-sub-4')).toEqual([1, 0x80, 0x80, 1, 0x80, 1]);
  });

  it('5.0 [MQTT-3.9.3-2] refused filters get 0x87 Not authorized', async () => {
    expect(await suback(5, 'acl-sub-4')).toEqual([1, 0x87, 0x87, 1, 0x87, 1]);
  });

  it('3.1 (no failure code in its SUBACK) is granted its QoS, but a refused filter is not stored', async () => {
    expect(await suback(3, 'acl-sub-3')).toEqual([1, 1, 1, 1, 1, 1]);
    // Clean session ended with the connection: ask a persistent one instead.
    const c = await RawClient.connect(acl.port, { protocolVersion: 3, clientId: 'acl-sub-3p', clean: false });
    c.send({
      type: 'subscribe',
      packetId: 4,
      subscriptions: [
        { topicFilter: 'cmd/#', qos: 0 },
        { topicFilter: 'sensors/#', qos: 0 },
      ],
    });
    expect((await c.next('suback')).reasonCodes).toEqual([0, 0]);
    expect([...acl.broker.sessions.get('acl-sub-3p')!.subscriptions.keys()]).toEqual(['sensors/#']);
    c.end();
  });

  it('an accepted filter overlapping a deny is filtered per message, as mosquitto filters every delivery', async () => {
    const sub = await RawClient.connect(acl.port, { clientId: 'acl-sub-f' });
    sub.send({ type: 'subscribe', packetId: 5, subscriptions: [{ topicFilter: 'sensors/#', qos: 0 }] });
    expect((await sub.next('suback')).reasonCodes).toEqual([0]);
    acl.broker.publish(new Message('sensors/secret/k', Buffer.from('no'), 0, false, undefined, 0, '', false));
    acl.broker.publish(new Message('sensors/a', Buffer.from('yes'), 0, false, undefined, 0, '', false));
    expect((await sub.next('publish')).payload.toString()).toBe('yes');
    expect(await sub.nothing('publish')).toBe(true);
    sub.end();
  });
});
