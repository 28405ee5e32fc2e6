/**
 * The two reference "brokers" of `npm run bench`, each the least a server can do for one kind of
 * scenario, so that mqx's rows can be read against what the load generator, loopback TCP and node
 * themselves cost:
 *
 * - the sink, for throughput: it answers CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ and, per QoS,
 *   PUBLISH (PUBACK; PUBREC, then PUBCOMP for the PUBREL) and routes nothing. Every ack a read
 *   calls for leaves in one write at the end of that read, as mqx batches its own. The parser
 *   reads only the fixed header, the topic length and the packet id, and speaks MQTT 3.1.1 only
 *   (a 5.0 CONNACK would need properties): all the bench's load generator asks of it.
 * - the net server, for idle connections: a bare net.Server that answers CONNECT with CONNACK and
 *   PINGREQ with PINGRESP from one listener shared by every socket, and otherwise holds the
 *   sockets. After a burst of connections it runs the compacting collection mqx runs
 *   (src/broker/idle-gc.ts), so both are measured at what their connections keep, not at the
 *   garbage of their handshakes.
 */
import net from 'node:net';
import { IdleCollector } from '../src/broker/idle-gc.js';
import { varintSize, writeVarint } from '../src/protocol/varint.js';

const CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const PINGRESP = Buffer.from([0xd0, 0x00]);
const PUBACK = 0x40;
const PUBREC = 0x50;
const PUBCOMP = 0x70;
const SUBACK = 0x90;
const UNSUBACK = 0xb0;

/** Packet types, the high nibble of a packet's first byte. */
const TYPE = {
  connect: 1,
  publish: 3,
  pubrel: 6,
  subscribe: 8,
  unsubscribe: 10,
  pingreq: 12,
  disconnect: 14,
};

class SinkConnection {
  /** The start of a packet that the last read cut short. */
  private rest: Buffer | undefined;
  private out = Buffer.allocUnsafe(4096);
  private outLength = 0;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
  }

  private onData(chunk: Buffer): void {
    const buf = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
    let at = 0;
    for (;;) {
      const header = fixedHeader(buf, at);
      if (header === undefined) break;
      if (header === 'malformed') {
        this.socket.destroy();
        return;
      }
      this.handle(buf[at]!, buf, header.body, header.length);
      at = header.body + header.length;
    }
    // A copy, so that a few leftover bytes do not keep a whole read buffer alive.
    this.rest = at < buf.length ? Buffer.from(buf.subarray(at)) : undefined;
    if (this.outLength > 0) {
      this.socket.write(Buffer.from(this.out.subarray(0, this.outLength)));
      this.outLength = 0;
    }
  }

  private handle(first: number, buf: Buffer, body: number, length: number): void {
    switch (first >> 4) {
      case TYPE.connect:
        this.push(CONNACK);
        return;
      case TYPE.publish: {
        const qos = (first >> 1) & 3;
        if (qos === 0) return;
        const id = body + 2 + buf.readUInt16BE(body);
        this.ack(qos === 1 ? PUBACK : PUBREC, buf, id);
        return;
      }
      case TYPE.pubrel:
        this.ack(PUBCOMP, buf, body);
        return;
      case TYPE.subscribe:
        this.suback(buf, body, length);
        return;
      case TYPE.unsubscribe:
        this.ack(UNSUBACK, buf, body);
        return;
      case TYPE.pingreq:
        this.push(PINGRESP);
        return;
      case TYPE.disconnect:
        this.socket.end();
        return;
      default:
        return;
    }
  }

  /** A four-byte ack whose packet id is copied from `buf` at `id`. */
  private ack(type: number, buf: Buffer, id: number): void {
    const at = this.reserve(4);
    this.out[at] = type;
    this.out[at + 1] = 2;
    this.out[at + 2] = buf[id]!;
    this.out[at + 3] = buf[id + 1]!;
  }

  /** Grants every filter the QoS it asks for. */
  private suback(buf: Buffer, body: number, length: number): void {
    const granted: number[] = [];
    for (let p = body + 2; p < body + length; ) {
      p += 2 + buf.readUInt16BE(p);
      granted.push(buf[p++]! & 3);
    }
    const remaining = 2 + granted.length;
    let at = this.reserve(1 + varintSize(remaining) + remaining);
    this.out[at++] = SUBACK;
    at = writeVarint(this.out, at, remaining);
    this.out[at++] = buf[body]!;
    this.out[at++] = buf[body + 1]!;
    for (const qos of granted) this.out[at++] = qos;
  }

  private push(packet: Buffer): void {
    packet.copy(this.out, this.reserve(packet.length));
  }

  /** Room for `n` more bytes of output; returns where they start. */
  private reserve(n: number): number {
    if (this.outLength + n > this.out.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.outLength + n));
      this.out.copy(grown, 0, 0, this.outLength);
      this.out = grown;
    }
    const at = this.outLength;
    this.outLength += n;
    return at;
  }
}

/** Where the packet at `at` has its body and how long that is; undefined while incomplete. */
export function fixedHeader(
  buf: Buffer,
  at: number,
): { body: number; length: number } | 'malformed' | undefined {
  let length = 0;
  let shift = 0;
  for (let i = at + 1; i < at + 5; i++) {
    if (i >= buf.length) return undefined;
    const byte = buf[i]!;
    length += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return i + 1 + length <= buf.length ? { body: i + 1, length } : undefined;
  }
  return 'malformed';
}

export function createSinkServer(): net.Server {
  return net.createServer({ noDelay: true }, (socket) => new SinkConnection(socket));
}

/** Shared by every socket, so that a connection costs the net server no closure of its own. */
function answer(this: net.Socket, chunk: Buffer): void {
  const type = chunk[0]! >> 4;
  if (type === TYPE.connect) this.write(CONNACK);
  else if (type === TYPE.pingreq) this.write(PINGRESP);
}

function ignore(): void {}

export function createNetServer(): net.Server {
  let accepted = 0;
  const server = net.createServer({ noDelay: true }, (socket) => {
    accepted++;
    socket.on('data', answer);
    socket.on('error', ignore);
  });
  const collector = new IdleCollector();
  const timer = setInterval(() => collector.tick(accepted), 1000);
  timer.unref();
  server.on('close', () => clearInterval(timer));
  return server;
}

/** Listens on 127.0.0.1 at the port given as the first argument; SIGTERM or SIGINT exits. */
export function listenUntilSignal(name: string, server: net.Server): void {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) {
    process.stderr.write(`usage: node ${process.argv[1]} PORT\n`);
    process.exit(2);
  }
  server.listen(port, '127.0.0.1', () => process.stdout.write(`${name} listening on ${port}\n`));
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
