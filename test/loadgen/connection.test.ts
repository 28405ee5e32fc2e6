import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BenchConnection } from '../../src/loadgen/connection.js';

const servers: net.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A peer that accepts the CONNECT and answers PINGREQs only when told to. */
async function peer(): Promise<{ port: number; pings: () => number; pong: () => void }> {
  let socket: net.Socket | undefined;
  let pings = 0;
  const server = net.createServer((s) => {
    socket = s;
    s.on('data', (chunk: Buffer) => {
      if (chunk[0] === 0x10) s.write(Buffer.from([0x20, 2, 0, 0]));
      for (const b of chunk) if (b === 0xc0) pings++;
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { port, pings: () => pings, pong: () => socket?.write(Buffer.from([0xd0, 0])) };
}

const until = async (ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setTimeout(r, 5));
};

describe('BenchConnection.roundTrip', () => {
  it('resolves on the PINGRESP that answers its own PINGREQ, not an earlier one', async () => {
    const p = await peer();
    const conn = await BenchConnection.open(
      { broker: { scheme: 'mqtt', host: '127.0.0.1', port: p.port }, protocolVersion: 4 },
      'rt',
      5000,
    );
    conn.ping();
    let done = false;
    const trip = conn.roundTrip().then(() => {
      done = true;
    });
    await until(() => p.pings() === 2);
    p.pong();
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    p.pong();
    await trip;
    expect(done).toBe(true);
    conn.close();
  });
});
