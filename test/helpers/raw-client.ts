import net from 'node:net';
import { Decoder } from '../../src/protocol/decoder.js';
import { encode } from '../../src/protocol/encoder.js';
import type { AckPacket, ConnectPacket, Packet, ProtocolVersion } from '../../src/protocol/types.js';

/** The packet of a type name; the four acks share one interface whose `type` is a union. */
type PacketOf<T extends Packet['type']> = T extends AckPacket['type']
  ? AckPacket
  : Extract<Packet, { type: T }>;

/**
 * A bare MQTT connection for tests that need exact packets, including ones no real client
 * would send. Every received packet is kept; `next` waits for the next one of a type.
 */
export class RawClient {
  readonly received: Packet[] = [];
  private waiters: Array<{ type: Packet['type'] | undefined; resolve: (p: Packet) => void }> = [];
  private readonly decoder: Decoder;
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(
    readonly socket: net.Socket,
    public version: ProtocolVersion,
  ) {
    this.decoder = new Decoder((p) => this.onPacket(p), { protocolVersion: version });
    socket.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  /** Opens a TCP connection to 127.0.0.1:port, or to a unix socket when given a path. */
  static async open(port: number | string, version: ProtocolVersion = 4): Promise<RawClient> {
    const socket =
      typeof port === 'string' ? net.connect({ path: port }) : net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket, version);
  }

  /** Opens a connection and completes CONNECT/CONNACK; throws when refused. */
  static async connect(port: number | string, connect: Partial<ConnectPacket> = {}): Promise<RawClient> {
    const version = connect.protocolVersion ?? 4;
    const client = await RawClient.open(port, version);
    client.send({
      type: 'connect',
      protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: version,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: `raw-${Math.random().toString(16).slice(2, 10)}`,
      ...connect,
    });
    const connack = await client.next('connack');
    if (connack.type === 'connack' && connack.reasonCode !== 0) {
      throw new Error(`CONNECT refused with ${connack.reasonCode}`);
    }
    return client;
  }

  private onPacket(p: Packet): void {
    const i = this.waiters.findIndex((w) => w.type === undefined || w.type === p.type);
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      w!.resolve(p);
      return;
    }
    this.received.push(p);
  }

  send(packet: Packet): void {
    this.socket.write(encode(packet, this.version));
  }

  sendRaw(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** The next packet (of `type`, if given) — one already received, or the next to arrive. */
  next<T extends Packet['type']>(type?: T, timeoutMs = 5_000): Promise<PacketOf<T>> {
    const i = this.received.findIndex((p) => type === undefined || p.type === type);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0] as PacketOf<T>);
    return new Promise((resolve, reject) => {
      const waiter = { type, resolve: resolve as (p: Packet) => void };
      this.waiters.push(waiter);
      setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) {
          this.waiters.splice(at, 1);
          reject(
            new Error(
              `no ${type ?? 'packet'} within ${timeoutMs} ms (have: ${this.received.map((p) => p.type).join(', ')})`,
            ),
          );
        }
      }, timeoutMs);
    });
  }

  /** Resolves true if nothing of `type` arrives within `ms`. */
  async nothing(type: Packet['type'], ms = 300): Promise<boolean> {
    try {
      await this.next(type, ms);
      return false;
    } catch {
      return true;
    }
  }

  /** Resolves when the broker closes the connection; rejects after the timeout. */
  async expectClosed(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  end(): void {
    this.socket.destroy();
  }
}
