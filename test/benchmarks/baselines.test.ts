import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNetServer, createSinkServer, fixedHeader } from '../../benchmarks/baselines.js';
import type { ClientOptions } from '../../src/client/options.js';
import { connectMany } from '../../src/loadgen/connect.js';
import { BenchConnection } from '../../src/loadgen/connection.js';
import { DEFAULT_LOAD_OPTIONS, LoadRun } from '../../src/loadgen/load.js';
import { connectPacket } from '../../src/loadgen/packets.js';

const servers: net.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: net.Server): Promise<ClientOptions> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { broker: { scheme: 'mqtt', host: '127.0.0.1', port }, protocolVersion: 4, keepalive: 60 };
}

/** Writes `bytes` one at a time on a raw socket and resolves with the first `expect` bytes back. */
async function exchange(options: ClientOptions, bytes: Buffer, expect: number): Promise<Buffer> {
  const socket = net.connect({ host: '127.0.0.1', port: options.broker.port });
  const got: Buffer[] = [];
  const answer = new Promise<Buffer>((resolve) => {
    socket.on('data', (c: Buffer) => {
      got.push(c);
      const all = Buffer.concat(got);
      if (all.length >= expect) resolve(all);
    });
  });
  await new Promise((r) => socket.once('connect', r));
  for (const b of bytes) {
    socket.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
  }
  const out = await answer;
  socket.destroy();
  return out;
}

describe('fixedHeader', () => {
  it('finds the body after a one- and a two-byte remaining length', () => {
    expect(fixedHeader(Buffer.from([0x30, 2, 0, 0]), 0)).toEqual({ body: 2, length: 2 });
    const long = Buffer.concat([Buffer.from([0x30, 0x80, 0x01]), Buffer.alloc(128)]);
    expect(fixedHeader(long, 0)).toEqual({ body: 3, length: 128 });
  });

  it('waits for a packet cut short, in its header or in its body', () => {
    expect(fixedHeader(Buffer.from([0x30]), 0)).toBeUndefined();
    expect(fixedHeader(Buffer.from([0x30, 0x80]), 0)).toBeUndefined();
    expect(fixedHeader(Buffer.from([0x30, 3, 0, 0]), 0)).toBeUndefined();
  });

  it('refuses a remaining length longer than four bytes', () => {
    expect(fixedHeader(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), 0)).toBe('malformed');
  });
});

describe('the sink', () => {
  it.each([0, 1, 2] as const)('takes and acknowledges every publish at QoS %i', async (qos) => {
    const connection = await listen(createSinkServer());
    const s = await new LoadRun({
      ...DEFAULT_LOAD_OPTIONS,
      mode: 'pub',
      connection,
      clients: 3,
      qos,
      limit: 2000,
      confirmQos0: true,
    }).run();
    expect(s).toMatchObject({ published: 6000, errors: 0 });
  });

  it('grants each filter the QoS it asks for', async () => {
    const connection = await listen(createSinkServer());
    const conn = await BenchConnection.open(connection, 'sub', 5000);
    const filters = [0, 1, 2].map((qos) => ({ topicFilter: `a/${qos}`, qos: qos as 0 | 1 | 2 }));
    expect(await conn.subscribe(filters, 7, 5000)).toEqual([0, 1, 2]);
    conn.close();
  });

  it('answers packets that arrive a byte at a time, PUBREL and PINGREQ included', async () => {
    const connection = await listen(createSinkServer());
    const publish = Buffer.from([0x32, 5, 0, 1, 0x74, 0x12, 0x34]);
    const pubrel = Buffer.from([0x62, 2, 0x12, 0x34]);
    const pingreq = Buffer.from([0xc0, 0]);
    const bytes = Buffer.concat([connectPacket(connection, 'c'), publish, pubrel, pingreq]);
    const out = await exchange(connection, bytes, 14);
    expect([...out]).toEqual([0x20, 2, 0, 0, 0x40, 2, 0x12, 0x34, 0x70, 2, 0x12, 0x34, 0xd0, 0]);
  });
});

describe('the net server', () => {
  it('accepts and holds MQTT connections, and answers PINGREQ', async () => {
    const connection = await listen(createNetServer());
    const outcome = await connectMany(connection, {
      count: 50,
      clientId: (i) => `idle-${i}`,
      intervalMs: 0,
      concurrency: 16,
      timeoutMs: 5000,
    });
    expect(outcome.connected).toBe(50);
    await new Promise((r) => setTimeout(r, 50));
    expect(outcome.connections.filter((c) => c?.closed)).toEqual([]);
    for (const c of outcome.connections) c?.close();
    const out = await exchange(connection, Buffer.from([0xc0, 0]), 2);
    expect([...out]).toEqual([0xd0, 0]);
  });
});
