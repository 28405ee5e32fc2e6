import { describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { Outgoing, Session } from '../../src/broker/session.js';
import {
  messageFrom,
  messageHeader,
  packMessage,
  parseSnapshot,
  snapshotSession,
  unpackMessage,
} from '../../src/cluster/codec.js';

const message = new Message(
  'a/b',
  Buffer.from([0, 1, 2, 255]),
  2,
  true,
  { contentType: 'x', correlationData: Buffer.from([9, 8]), userProperties: [['k', 'v']] },
  1234,
  'publisher',
  true,
  42,
);

describe('cluster codec', () => {
  it('a message survives header + payload, bit for bit, with its cluster id', () => {
    const back = messageFrom(messageHeader(message, 'n:1'), message.payload);
    expect(back.id).toBe('n:1');
    expect(back.message).toEqual(message);
  });

  it('a packed message (retained, wills) survives too', () => {
    const back = unpackMessage(packMessage(message, 'n:2'));
    expect(back.id).toBe('n:2');
    expect(back.message).toEqual(message);
  });

  it('a session snapshot keeps subscriptions, queue, inflight ids and inbound QoS 2 ids', () => {
    const session = new Session('c');
    session.expiryInterval = 60;
    session.username = 'u';
    session.addSubscription(Session.subscriptionFrom(session, { topicFilter: 'a/#', qos: 1 }, 'a/#', '', 7));
    const inFlight = new Outgoing(message, 2, false, [7], 5);
    inFlight.released = true;
    inFlight.sent = true;
    session.inflight.set(inFlight);
    session.queue.push(new Outgoing(message, 1, true, undefined));
    session.inboundQos2.add(9);
    const { snapshot, outgoing } = parseSnapshot(snapshotSession(session, 5, () => 'n:3'));
    expect(snapshot).toMatchObject({ clientId: 'c', protocolVersion: 5, expiryInterval: 60, username: 'u' });
    expect(snapshot.subscriptions).toEqual([
      expect.objectContaining({ filter: 'a/#', qos: 1, subscriptionId: 7 }),
    ]);
    expect(snapshot.inboundQos2).toEqual([9]);
    expect(outgoing.map((o) => [o.out.packetId, o.out.qos, o.out.released, o.out.retain, o.id])).toEqual([
      [5, 2, true, false, 'n:3'],
      [0, 1, false, true, 'n:3'],
    ]);
    expect(outgoing[0]!.out.message.payload).toEqual(message.payload);
  });
});
