import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/broker/connection.js';
import { startBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

/** The broker's side of the client with this id, once its CONNECT has been handled. */
function connectionOf(b: Awaited<ReturnType<typeof startBroker>>, clientId: string): Connection {
  const conn = [...b.broker.connections].find((c) => c.clientId === clientId);
  if (conn === undefined) throw new Error(`no connection for ${clientId}`);
  return conn;
}

describe('the state a connection rarely needs', () => {
  it('is not made for an idle client, and Node does not keep its address on the socket', async () => {
    const b = await startBroker();
    try {
      const client = await RawClient.connect(b.port, { clientId: 'idle' });
      const conn = connectionOf(b, 'idle');
      expect(Reflect.get(conn, 'rare')).toBeUndefined();
      expect(Reflect.get(conn.session!, 'rare')).toBeUndefined();
      expect(Reflect.get(conn.socket, '_peername')).toBeUndefined();
      // Still there when asked: read from the socket again.
      expect(conn.remote.address).toBe('127.0.0.1');
      expect(conn.remote.port).toBe(client.socket.localPort);
      expect(conn.isBridge).toBe(false);
      expect(conn.will).toBeUndefined();
      expect(conn.version).toBe(4);
      client.end();
    } finally {
      await b.stop();
    }
  });

  it('is kept once set: a will, the protocol level, and a clean DISCONNECT that drops the will', async () => {
    const b = await startBroker();
    try {
      const client = await RawClient.connect(b.port, {
        clientId: 'willing',
        protocolVersion: 5,
        will: { topic: 'last/words', payload: Buffer.from('gone'), qos: 0, retain: false },
      });
      const conn = connectionOf(b, 'willing');
      expect(conn.will?.topic).toBe('last/words');
      expect(conn.version).toBe(5);
      expect(Reflect.get(conn, 'rare')).toBeDefined();
      client.send({ type: 'disconnect', reasonCode: 0 });
      await client.closed;
      expect(conn.will).toBeUndefined();
      expect(conn.disconnectedCleanly).toBe(true);
      expect(conn.closeReason).toBe('disconnected');
    } finally {
      await b.stop();
    }
  });
});
