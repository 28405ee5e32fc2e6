import mqtt from 'mqtt';
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

  it("holds a 5.0 client's limits when it sets any, and none for a 5.0 client that sets none", async () => {
    const b = await startBroker();
    try {
      const plain = await RawClient.connect(b.port, { clientId: 'plain5', protocolVersion: 5 });
      const limited = await RawClient.connect(b.port, {
        clientId: 'limited5',
        protocolVersion: 5,
        properties: { receiveMaximum: 3, topicAliasMaximum: 2 },
      });
      const none = connectionOf(b, 'plain5');
      expect(Reflect.get(none, 'rare')).toBeUndefined();
      expect(none.limits).toEqual({ receiveMaximum: 65535, maximumPacketSize: 0, topicAliasMaximum: 0 });
      expect(none.sendQuota).toBe(65535);
      const some = connectionOf(b, 'limited5');
      expect(some.limits).toEqual({ receiveMaximum: 3, maximumPacketSize: 0, topicAliasMaximum: 2 });
      expect(some.sendQuota).toBe(3);
      plain.end();
      limited.end();
    } finally {
      await b.stop();
    }
  });

  it("counts a connection's bytes either way, as its socket does, or itself under a WebSocket", async () => {
    const b = await startBroker({
      listeners: [
        { port: 0, host: '127.0.0.1', protocol: 'mqtt', maxConnections: 0 },
        { port: 0, host: '127.0.0.1', protocol: 'websockets', maxConnections: 0 },
      ],
    });
    try {
      // CONNECT of a 3.1.1 client with a 3-byte id: 2 + 10 + 2 + 3 bytes; CONNACK: 4.
      const tcp = await RawClient.connect(b.port, { clientId: 'tcp' });
      const ws = await mqtt.connectAsync(`ws://127.0.0.1:${b.broker.ports[1]}/mqtt`, {
        clientId: 'wss',
        reconnectPeriod: 0,
      });
      await ws.publishAsync('counted', 'x'.repeat(100), { qos: 1 });
      expect(connectionOf(b, 'tcp').bytesIn).toBe(17);
      expect(connectionOf(b, 'tcp').bytesOut).toBe(4);
      // The same CONNECT, then a PUBLISH of 2 + 9 + 2 + 100 bytes; CONNACK and PUBACK back.
      const viaWs = connectionOf(b, 'wss');
      expect(viaWs.bytesIn).toBe(17 + 113);
      expect(viaWs.bytesOut).toBe(4 + 4);
      tcp.end();
      await ws.endAsync();
    } finally {
      await b.stop();
    }
  });
});
