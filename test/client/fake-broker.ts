/**
 * A scriptable broker for client tests, built from the codec over a real socket on port 0: each
 * test decides how CONNECT and every later packet are answered, and can drop connections, to
 * reach the cases (DUP resend, refusals, dead connections) a real broker will not produce on cue.
 */
import net from 'node:net';
import { afterEach } from 'vitest';
import type { Client } from '../../src/client/client.js';
import { Decoder } from '../../src/protocol/decoder.js';
import { encode } from '../../src/protocol/encoder.js';
import type { ConnackPacket, ConnectPacket, Packet, ProtocolVersion } from '../../src/protocol/types.js';

export interface FakeConnection {
  socket: net.Socket;
  connect: ConnectPacket;
  /** Every packet received after CONNECT, in order. */
  received: Packet[];
  send(packet: Packet): void;
  /** Resolves with the next received packet matching `type` (already received ones count). */
  next<T extends Packet['type']>(type: T): Promise<Extract<Packet, { type: T }>>;
}

export interface FakeBrokerOptions {
  /** The CONNACK to answer with; undefined sends none (a broker that hangs). */
  connack?: (connect: ConnectPacket, index: number) => ConnackPacket | undefined;
  /** Called for each packet after CONNECT; the default answers PINGREQ, SUBSCRIBE, UNSUBSCRIBE and QoS 1/2 publishes. */
  onPacket?: (packet: Packet, conn: FakeConnection) => void;
}

export function defaultResponder(packet: Packet, conn: FakeConnection): void {
  switch (packet.type) {
    case 'pingreq':
      conn.send({ type: 'pingresp' });
      break;
    case 'subscribe':
      conn.send({
        type: 'suback',
        packetId: packet.packetId,
        reasonCodes: packet.subscriptions.map((s) => s.qos),
      });
      break;
    case 'unsubscribe':
      conn.send({
        type: 'unsuback',
        packetId: packet.packetId,
        reasonCodes: packet.topicFilters.map(() => 0),
      });
      break;
    case 'publish':
      if (packet.qos === 1) conn.send({ type: 'puback', packetId: packet.packetId! });
      if (packet.qos === 2) conn.send({ type: 'pubrec', packetId: packet.packetId! });
      break;
    case 'pubrel':
      conn.send({ type: 'pubcomp', packetId: packet.packetId });
      break;
    case 'disconnect':
      conn.socket.end();
      break;
    default:
      break;
  }
}

export class FakeBroker {
  readonly connections: FakeConnection[] = [];
  private readonly server: net.Server;
  private readonly waiters: Array<() => void> = [];
  port = 0;

  constructor(private readonly options: FakeBrokerOptions = {}) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Resolves with the n-th (0-based) connection once its CONNECT has arrived. */
  connection(n: number): Promise<FakeConnection> {
    const existing = this.connections[n];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const check = () => {
        const c = this.connections[n];
        if (c) resolve(c);
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    let version: ProtocolVersion = 4;
    let conn: FakeConnection | undefined;
    const listeners: Array<() => void> = [];
    const decoder = new Decoder((packet) => {
      if (!conn) {
        if (packet.type !== 'connect') return void socket.destroy();
        version = packet.protocolVersion;
        decoder.protocolVersion = version;
        const received: Packet[] = [];
        conn = {
          socket,
          connect: packet,
          received,
          send: (p) => {
            if (!socket.destroyed) socket.write(encode(p, version));
          },
          next: (type) =>
            new Promise((resolve) => {
              let seen = 0;
              const check = () => {
                for (; seen < received.length; seen++) {
                  const p = received[seen]!;
                  if (p.type === type) {
                    seen = Infinity;
                    resolve(p as never);
                    return true;
                  }
                }
                return false;
              };
              if (!check()) listeners.push(() => void check());
            }),
        };
        this.connections.push(conn);
        const connack = (
          this.options.connack ?? (() => ({ type: 'connack', sessionPresent: false, reasonCode: 0 }))
        )(packet, this.connections.length - 1);
        if (connack) conn.send(connack);
        for (const w of this.waiters.splice(0)) w();
        return;
      }
      conn.received.push(packet);
      (this.options.onPacket ?? defaultResponder)(packet, conn);
      for (const l of listeners) l();
    });
    socket.on('data', (chunk) => {
      try {
        decoder.push(chunk);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
  }
}

/**
 * The fake brokers and clients of one test file, stopped after each test: call it at the top
 * level. Tests that stop one themselves take it out of the arrays.
 */
export function fakeBrokerPool(): {
  brokers: FakeBroker[];
  clients: Client[];
  fake(options?: FakeBrokerOptions): Promise<FakeBroker>;
} {
  const brokers: FakeBroker[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const b of brokers.splice(0)) await b.stop();
  });
  return {
    brokers,
    clients,
    async fake(options = {}) {
      const b = await new FakeBroker(options).start();
      brokers.push(b);
      return b;
    },
  };
}
