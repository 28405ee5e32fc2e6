/**
 * Client.end() finishes what the client started: inbound QoS 2 flows it acknowledged get their
 * PUBCOMP before DISCONNECT, and the trace (--debug) shows only packets really written.
 */
import { describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import type { Packet } from '../../src/protocol/types.js';
import { defaultResponder, fakeBrokerPool } from './fake-broker.js';

const { clients, fake } = fakeBrokerPool();

describe('Client.end()', () => {
  it('waits for the PUBREL of a QoS 2 message it acknowledged and sends PUBCOMP before DISCONNECT', async () => {
    const broker = await fake({
      onPacket: (packet, conn) => {
        if (packet.type === 'subscribe') {
          defaultResponder(packet, conn);
          conn.send({
            type: 'publish',
            topic: 'a',
            payload: Buffer.from('x'),
            qos: 2,
            retain: false,
            dup: false,
            packetId: 9,
          });
        } else if (packet.type === 'pubrec') {
          // A slow broker: the PUBREL comes well after the application is done with the message.
          setTimeout(() => conn.send({ type: 'pubrel', packetId: packet.packetId }), 300);
        } else defaultResponder(packet, conn);
      },
    });
    const traced: string[] = [];
    const client = new Client({
      broker: { scheme: 'mqtt', host: '127.0.0.1', port: broker.port },
      trace: (direction, packet) => traced.push(`${direction} ${packet.type}`),
    });
    clients.push(client);
    const received = new Promise<void>((resolve) => client.once('message', () => resolve()));
    await client.connect();
    await client.subscribe([{ topicFilter: 'a', qos: 2 }]);
    await received;
    await client.end();
    const conn = broker.connections[0]!;
    const types = conn.received.map((p: Packet) => p.type);
    expect(types.slice(types.indexOf('pubrec'))).toEqual(['pubrec', 'pubcomp', 'disconnect']);
    expect(traced.filter((t) => t.startsWith('out')).slice(-3)).toEqual([
      'out pubrec',
      'out pubcomp',
      'out disconnect',
    ]);
  });

  it('traces nothing it could not write: a PUBREL arriving after DISCONNECT gets no PUBCOMP line', async () => {
    const broker = await fake({
      onPacket: (packet, conn) => {
        // Answers DISCONNECT with a PUBREL before closing: the client has ended its side by then.
        if (packet.type === 'disconnect') {
          conn.send({ type: 'pubrel', packetId: 4 });
          setTimeout(() => conn.socket.end(), 100);
        } else defaultResponder(packet, conn);
      },
    });
    const traced: string[] = [];
    const client = new Client({
      broker: { scheme: 'mqtt', host: '127.0.0.1', port: broker.port },
      trace: (direction, packet) => traced.push(`${direction} ${packet.type}`),
    });
    clients.push(client);
    await client.connect();
    await client.end();
    expect(traced).toEqual(['out connect', 'in connack', 'out disconnect', 'in pubrel']);
  });
});
