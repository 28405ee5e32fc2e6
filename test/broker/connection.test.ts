import { rmSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
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

describe('a silent connection', () => {
  it('lets its decoder go between packets, and the next bytes go on in the stream it was (5.0)', async () => {
    const b = await startBroker();
    try {
      const watcher = await RawClient.connect(b.port, { clientId: 'watcher', protocolVersion: 5 });
      watcher.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'q/#', qos: 1 }] });
      await watcher.next('suback');
      const client = await RawClient.connect(b.port, { clientId: 'quiet', protocolVersion: 5 });
      const conn = [...b.broker.connections].find((c) => c.clientId === 'quiet')!;
      expect(Reflect.get(conn, 'decoder')).toBeDefined();
      await vi.waitFor(() => expect(Reflect.get(conn, 'decoder')).toBeUndefined(), { timeout: 4_000 });
      expect(conn.version).toBe(5);
      // Read as 3.1.1, the properties would be taken for the start of the payload.
      client.send({
        type: 'publish',
        topic: 'q/1',
        payload: Buffer.from('after'),
        qos: 1,
        packetId: 2,
        retain: false,
        dup: false,
        properties: { userProperties: [['k', 'v']] },
      });
      expect(await client.next('puback')).toMatchObject({ packetId: 2 });
      const got = await watcher.next('publish');
      expect(got).toMatchObject({ topic: 'q/1', properties: { userProperties: [['k', 'v']] } });
      expect(got.payload.toString()).toBe('after');
      client.end();
      watcher.end();
    } finally {
      await b.stop();
    }
  });

  it('keeps a decoder that holds part of a packet, through any silence', async () => {
    const b = await startBroker();
    try {
      const sub = await RawClient.connect(b.port, { clientId: 'sub' });
      sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'half/#', qos: 0 }] });
      await sub.next('suback');
      const pub = await RawClient.connect(b.port, { clientId: 'half' });
      const bytes = encode(
        {
          type: 'publish',
          topic: 'half/1',
          payload: Buffer.from('two parts'),
          qos: 0,
          retain: false,
          dup: false,
        },
        4,
      );
      pub.sendRaw(bytes.subarray(0, 7));
      const conn = [...b.broker.connections].find((c) => c.clientId === 'half')!;
      // Two sweeps of the broker, each of which would let an idle decoder go.
      await new Promise((resolve) => setTimeout(resolve, 2_300));
      expect(Reflect.get(conn, 'decoder')).toBeDefined();
      pub.sendRaw(bytes.subarray(7));
      expect((await sub.next('publish')).payload.toString()).toBe('two parts');
      sub.end();
      pub.end();
    } finally {
      await b.stop();
    }
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
