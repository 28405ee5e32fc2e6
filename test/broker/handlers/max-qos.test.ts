/** max_qos (mosquitto's directive): advertised, granted at most, and enforced on PUBLISH and wills. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessBroker, startBroker } from '../../helpers/broker.js';
import { RawClient } from '../../helpers/raw-client.js';

let b: InProcessBroker;
beforeAll(async () => {
  b = await startBroker({ maxQos: 1 });
});
afterAll(() => b.stop());

const publish = (qos: 1 | 2) =>
  ({
    type: 'publish',
    topic: 'mq/x',
    payload: Buffer.from('x'),
    qos,
    retain: false,
    dup: false,
    packetId: 1,
  }) as const;

describe('max_qos 1', () => {
  it('5.0 [MQTT-3.2.2-9]: CONNACK carries Maximum QoS 1', async () => {
    const c = await RawClient.open(b.port, 5);
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: 'mq1',
    });
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties?.maximumQoS).toBe(1);
    c.end();
  });

  it('[MQTT-3.9.3-3] a QoS 2 subscription is granted QoS 1, and delivers at QoS 1', async () => {
    const c = await RawClient.connect(b.port);
    c.send({
      type: 'subscribe',
      packetId: 3,
      subscriptions: [
        { topicFilter: 'mq/#', qos: 2 },
        { topicFilter: 'mq0', qos: 0 },
      ],
    });
    expect((await c.next('suback')).reasonCodes).toEqual([1, 0]);
    const p = await RawClient.connect(b.port);
    p.send(publish(1));
    expect((await c.next('publish')).qos).toBe(1);
    c.end();
    p.end();
  });

  it('5.0 [MQTT-3.2.2-11]: a QoS 2 PUBLISH gets DISCONNECT 0x9B; 3.1.1: the connection is closed', async () => {
    const v5 = await RawClient.connect(b.port, { protocolVersion: 5 });
    v5.send(publish(2));
    expect((await v5.next('disconnect')).reasonCode).toBe(0x9b);
    await v5.expectClosed();
    const v4 = await RawClient.connect(b.port);
    v4.send(publish(2));
    await v4.expectClosed();
  });

  it('a will above max_qos is refused in CONNACK (0x9B in 5.0)', async () => {
    const c = await RawClient.open(b.port, 5);
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: 'mq-will',
      will: { topic: 'mq/will', payload: Buffer.from('w'), qos: 2, retain: false },
    });
    expect((await c.next('connack')).reasonCode).toBe(0x9b);
    await c.expectClosed();
  });
});
