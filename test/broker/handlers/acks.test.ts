import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type InProcessBroker, startBroker } from '../../helpers/broker.js';
import { RawClient } from '../../helpers/raw-client.js';

let b: InProcessBroker;
beforeAll(async () => {
  b = await startBroker();
});
afterAll(() => b.stop());

/** A subscriber at `qos` with one delivery from a publisher in flight to it: its packet id. */
async function delivered(id: string, qos: 1 | 2): Promise<{ sub: RawClient; packetId: number }> {
  const sub = await RawClient.connect(b.port, { clientId: id });
  sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: `acks/${id}`, qos }] });
  await sub.next('suback');
  const pub = await RawClient.connect(b.port, { clientId: `${id}-pub` });
  pub.send({
    type: 'publish',
    topic: `acks/${id}`,
    payload: Buffer.from('x'),
    qos,
    retain: false,
    dup: false,
    packetId: 1,
  });
  await pub.next(qos === 1 ? 'puback' : 'pubrec');
  pub.end();
  const publish = await sub.next('publish');
  expect(publish.qos).toBe(qos);
  return { sub, packetId: publish.packetId! };
}

const inflight = (id: string) => b.broker.sessions.get(id)!.inflight.size;

describe('acknowledgements from a client', () => {
  it('PUBACK completes a QoS 1 delivery', async () => {
    const { sub, packetId } = await delivered('ack1', 1);
    expect(inflight('ack1')).toBe(1);
    sub.sendRaw([0x40, 2, packetId >> 8, packetId & 0xff]);
    await vi.waitFor(() => expect(inflight('ack1')).toBe(0));
    sub.end();
  });

  it('PUBREC gets PUBREL, and PUBCOMP completes a QoS 2 delivery', async () => {
    const { sub, packetId } = await delivered('ack2', 2);
    sub.sendRaw([0x50, 2, packetId >> 8, packetId & 0xff]);
    expect(await sub.next('pubrel')).toMatchObject({ packetId });
    expect(inflight('ack2')).toBe(1);
    sub.sendRaw([0x70, 2, packetId >> 8, packetId & 0xff]);
    await vi.waitFor(() => expect(inflight('ack2')).toBe(0));
    sub.end();
  });

  it('[MQTT-4.8.0-1] PUBACK for a QoS 2 delivery is a protocol violation: the connection closes', async () => {
    const { sub, packetId } = await delivered('ack3', 2);
    sub.sendRaw([0x40, 2, packetId >> 8, packetId & 0xff]);
    await sub.expectClosed();
  });

  it('[MQTT-3.1.0-1] a PUBACK before CONNECT closes the connection', async () => {
    const c = await RawClient.open(b.port);
    c.sendRaw([0x40, 2, 0, 1]);
    await c.expectClosed();
  });

  it('is in the packet log when packets are logged', async () => {
    const { sub, packetId } = await delivered('ack4', 1);
    const log = b.broker.log;
    const debug = vi.spyOn(log, 'debug');
    log.packets = true;
    try {
      sub.sendRaw([0x40, 2, packetId >> 8, packetId & 0xff]);
      await vi.waitFor(() => expect(inflight('ack4')).toBe(0));
      expect(debug).toHaveBeenCalledWith(`Received PUBACK from ack4 (Mid: ${packetId}, RC:0)`);
    } finally {
      log.packets = false;
      debug.mockRestore();
      sub.end();
    }
  });
});
