import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { remoteOf, tenths } from '../../src/broker/connection.js';
import { encode } from '../../src/protocol/encoder.js';
import { startBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/processes.js';
import { RawClient } from '../helpers/raw-client.js';
import { publish, startPersistent } from './store/helpers.js';

describe('remoteOf', () => {
  it("gives an IPv4 peer as mosquitto logs it, and a unix socket's as unix", () => {
    expect(remoteOf({ remoteAddress: '::ffff:127.0.0.1', remotePort: 5000 })).toEqual({
      address: '127.0.0.1',
      port: 5000,
    });
    expect(remoteOf({ remoteAddress: '::1', remotePort: 6000 })).toEqual({ address: '::1', port: 6000 });
    expect(remoteOf({})).toEqual({ address: 'unix', port: 0 });
  });
});

describe('tenths', () => {
  it('counts tenths of a second as a small integer, which V8 keeps in the field itself', async () => {
    const before = tenths();
    await new Promise((resolve) => setTimeout(resolve, 250));
    const after = tenths();
    expect(Number.isInteger(before)).toBe(true);
    expect(after - before).toBeGreaterThanOrEqual(2);
    expect(after - before).toBeLessThanOrEqual(10);
    expect(after).toBeLessThan(2 ** 30);
  });
});

describe('a subscriber of a long turn', () => {
  /**
   * Records, for each write to the subscriber's socket in the broker, which PUBLISH the broker was
   * handling then (Broker.source). One chunk from a publisher carries 3,000 QoS 0 PUBLISHes (about
   * 300 KB) for one subscriber.
   */
  async function writesDuringOneChunk(persistent: boolean): Promise<{ during: number; total: number }> {
    const dir = tempDir('mqx-early-');
    const b = await (persistent ? startPersistent(dir) : startBroker());
    try {
      const sub = await RawClient.connect(b.port, { clientId: 'reader' });
      sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'long/#', qos: 0 }] });
      await sub.next('suback');
      const pub = await RawClient.connect(b.port, { clientId: 'writer' });
      const reader = [...b.broker.connections].find((c) => c.clientId === 'reader')!;
      const writer = [...b.broker.connections].find((c) => c.clientId === 'writer')!;
      let during = 0;
      let total = 0;
      const write = reader.socket.write.bind(reader.socket) as (chunk: Buffer) => boolean;
      reader.socket.write = ((chunk: Buffer) => {
        total++;
        if (b.broker.source === writer) during++;
        return write(chunk);
      }) as typeof reader.socket.write;
      const payload = '.'.repeat(90);
      const packets = Array.from({ length: 3000 }, (_, i) =>
        encode(publish(`long/${i % 10}`, payload, 0), 4),
      );
      pub.sendRaw(Buffer.concat(packets));
      for (let n = 0; n < 3000; n++) await sub.next('publish');
      return { during, total };
    } finally {
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('is written while the publisher is still being read, not only once the turn is over', async () => {
    const { during, total } = await writesDuringOneChunk(false);
    expect(total).toBeGreaterThan(1);
    expect(during).toBeGreaterThan(0);
  });

  it('is written only between PUBLISHes when the store is durable (a copy leaves with its state committed)', async () => {
    const { during, total } = await writesDuringOneChunk(true);
    expect(total).toBeGreaterThan(0);
    expect(during).toBe(0);
  });
});
